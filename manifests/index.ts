/** Public API of the manifest builders: the scene, attacker presets and the layered policy set. */
export { SCENE, type WorkloadName } from './scene.ts';
export { PodBuilder, pod } from './pod-builder.ts';
export { asKubeObject, managedLabels } from './kube-object.ts';
export { ISTIOD, KUBE_DNS, WAYPOINT, principal } from './mesh-identity.ts';

export { buildScene } from './scene/build-scene.ts';
export { DEFAULT_SCENE_OPTIONS, sceneOptions, type SceneOptions } from './scene/scene-options.ts';
export { appNamespacePsa, meshMemberLabels, type PodSecurityLevel } from './scene/namespaces.ts';
export { SCENE_SERVICE_ACCOUNTS } from './scene/service-accounts.ts';
export { WORKLOAD_PORTS, buildWorkloadPods, workloadCommand } from './scene/workloads.ts';
export { API_NODE_PORT, apiUsesWaypoint } from './scene/services.ts';
export { intruderPod, roguePod, type AttackerPlacement } from './scene/attacker-pods.ts';

export { buildPolicySet, policySetObjects, type LayeredPolicySet } from './policies/layered-policy-set.ts';
export { POLICY_NAMES } from './policies/policy-names.ts';
export { ADMIN_PATHS, API_PATHS, SHORT_API_HOSTS, API_PRINCIPAL, FRONTEND_PRINCIPAL, WAYPOINT_PRINCIPAL } from './policies/istio-policies.ts';
export { CALICO_LOG_DENY_ORDER } from './policies/calico-policies.ts';

export {
  createKubernetesAjv,
  loadCrdValidator,
  loadJsonSchemaValidator,
  type CrdValidator,
  type JsonSchemaValidator,
  type ValidationResult,
} from './contract/crd-schemas.ts';
export { isCoreKind, validateCoreKind } from './contract/core-kinds.ts';
