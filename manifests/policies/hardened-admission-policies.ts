import type { V1ConfigMap, V1ValidatingAdmissionPolicy, V1ValidatingAdmissionPolicyBinding, V1Validation } from '@kubernetes/client-node';
import type { KubeObject } from '../../core/domain/cluster.ts';
import { asKubeObject, managedLabels } from '../kube-object.ts';
import { SCENE } from '../scene.ts';

/**
 * The hardened admission layer: one ValidatingAdmissionPolicy (CEL, admissionregistration.k8s.io/v1), its binding
 * and a per-namespace params ConfigMap — designed from
 * https://kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/ . VAP runs after mutating
 * admission, so the injected `istio-proxy`/`istio-validation` containers are present when it looks.
 *
 * It refuses what lets a pod leave the mesh's control by choice: the proxy's UID/GID 1337 outside the proxy's own
 * containers (https://istio.io/latest/docs/ops/deployment/application-requirements/), the capture opt-out
 * annotations and label (https://istio.io/latest/docs/reference/config/annotations/), the ambient opt-out label
 * (https://istio.io/latest/docs/ambient/usage/add-workloads/), and a workload label worn with another workload's
 * service account (either way round). A pod that claims BOTH a workload's service account and its label (LM2) is
 * indistinguishable from the workload by its content, so a second policy looks at who asks: a workload's service
 * account may only be used by pods its deployer creates (`request.userInfo.username`, params ConfigMap
 * bm-workload-deployers: service account → deployer). RBAC alone cannot say this: anyone who may create pods in a
 * namespace may run them as any service account of that namespace
 * (https://kubernetes.io/docs/concepts/security/rbac-good-practices/#workload-creation).
 * A container merely NAMED istio-proxy passes the UID rule (Istio's custom injection merges into it).
 */
export const HARDENED_ADMISSION = {
  policy: 'bm-hardened-pod-guard',
  binding: 'bm-hardened-pod-guard-binding',
  params: 'bm-workload-identities',
  /** The requester rule: who may create pods that run as a workload's service account. */
  deployerPolicy: 'bm-hardened-workload-deployer',
  deployerBinding: 'bm-hardened-workload-deployer-binding',
  deployerParams: 'bm-workload-deployers',
  /** The namespaces the binding selects: the mesh-member ones of the scene (bm-rogue is outside the mesh). */
  namespaces: [SCENE.namespaces.app, SCENE.namespaces.privileged],
  /** Containers Istio itself runs as 1337: the proxy and istio-cni's validation init container. */
  proxyContainers: ['istio-proxy', 'istio-validation'],
} as const;

const PROXY_ID = SCENE.proxyUid;
const APP = SCENE.appLabel;

function notProxyIdentity(context: string): string {
  return `(!has(${context}.securityContext) || ((!has(${context}.securityContext.runAsUser) || ${context}.securityContext.runAsUser != ${PROXY_ID}) && (!has(${context}.securityContext.runAsGroup) || ${context}.securityContext.runAsGroup != ${PROXY_ID})))`;
}

const PROXY_NAMES = `[${HARDENED_ADMISSION.proxyContainers.map((name) => `'${name}'`).join(', ')}]`;
const SERVICE_ACCOUNT = "(has(object.spec.serviceAccountName) ? object.spec.serviceAccountName : 'default')";
const APP_LABEL = `object.metadata.labels['${APP}']`;
const HAS_APP_LABEL = `(has(object.metadata.labels) && '${APP}' in object.metadata.labels)`;

/**
 * Istio's own waypoint pods opt out of capture by design (`istio.io/dataplane-mode: none`, `sidecar.istio.io/inject:
 * "false"`: istio/istio manifests/charts/istio-control/istio-discovery/files/waypoint.yaml). They are known by
 * istiod's managed label and a service account named after their Gateway. A pod that copies both claims the
 * waypoint's identity (the LM2 class): the requester rule covers workload service accounts, not the waypoint's.
 */
const ISTIO_WAYPOINT_POD =
  "(has(object.metadata.labels) && 'gateway.istio.io/managed' in object.metadata.labels && object.metadata.labels['gateway.istio.io/managed'] == 'istio.io-mesh-controller' && 'gateway.networking.k8s.io/gateway-name' in object.metadata.labels && " +
  `${SERVICE_ACCOUNT} == object.metadata.labels['gateway.networking.k8s.io/gateway-name'])`;

/** The validations, in the order the API server reports the first that fails. */
export const HARDENED_VALIDATIONS: readonly V1Validation[] = [
  {
    expression: [
      `(!has(object.spec.securityContext) || ((!has(object.spec.securityContext.runAsUser) || object.spec.securityContext.runAsUser != ${PROXY_ID}) && (!has(object.spec.securityContext.runAsGroup) || object.spec.securityContext.runAsGroup != ${PROXY_ID})))`,
      `object.spec.containers.all(c, c.name in ${PROXY_NAMES} || ${notProxyIdentity('c')})`,
      `(!has(object.spec.initContainers) || object.spec.initContainers.all(c, c.name in ${PROXY_NAMES} || ${notProxyIdentity('c')}))`,
    ].join(' && '),
    message: `runAsUser/runAsGroup ${PROXY_ID} is the mesh proxy's identity: only the ${HARDENED_ADMISSION.proxyContainers.join('/')} containers may use it`,
    reason: 'Forbidden',
  },
  {
    expression:
      `${ISTIO_WAYPOINT_POD} || ` +
      "!has(object.metadata.annotations) || !object.metadata.annotations.exists(k, k.startsWith('traffic.sidecar.istio.io/excludeOutbound') || (k == 'sidecar.istio.io/inject' && object.metadata.annotations[k] == 'false'))",
    message: 'pods must not opt out of sidecar capture (traffic.sidecar.istio.io/excludeOutbound*, sidecar.istio.io/inject: "false")',
    reason: 'Forbidden',
  },
  {
    expression:
      `${ISTIO_WAYPOINT_POD} || ` +
      "!has(object.metadata.labels) || ((!('sidecar.istio.io/inject' in object.metadata.labels) || object.metadata.labels['sidecar.istio.io/inject'] != 'false') && (!('istio.io/dataplane-mode' in object.metadata.labels) || object.metadata.labels['istio.io/dataplane-mode'] != 'none'))",
    message: 'pods must not opt out of the mesh (label istio.io/dataplane-mode: none or sidecar.istio.io/inject: "false")',
    reason: 'Forbidden',
  },
  {
    expression: [
      `(!(${SERVICE_ACCOUNT} in params.data) || (${HAS_APP_LABEL} && ${APP_LABEL} == params.data[${SERVICE_ACCOUNT}]))`,
      `(!${HAS_APP_LABEL} || !params.data.exists(sa, params.data[sa] == ${APP_LABEL}) || (${SERVICE_ACCOUNT} in params.data && params.data[${SERVICE_ACCOUNT}] == ${APP_LABEL}))`,
    ].join(' && '),
    message: `a workload's service account and its ${APP} label go together (params ConfigMap ${HARDENED_ADMISSION.params}: service account → ${APP} label)`,
    reason: 'Forbidden',
  },
];

/**
 * The requester rule (https://kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/ —
 * `request` is the admission request, its `userInfo` the authenticated requester). Pods whose service account is
 * not a workload's pass; the params say which username deploys each workload.
 */
export const DEPLOYER_VALIDATIONS: readonly V1Validation[] = [
  {
    expression: `!(${SERVICE_ACCOUNT} in params.data) || request.userInfo.username == params.data[${SERVICE_ACCOUNT}]`,
    message: `a workload's service account may only be used by pods its deployer creates (params ConfigMap ${HARDENED_ADMISSION.deployerParams}: service account → deployer)`,
    reason: 'Forbidden',
  },
];

function workloadIdentities(): Record<string, string> {
  const { frontend, api, db } = SCENE.workloads;
  return Object.fromEntries([frontend, api, db].map((workload) => [workload.serviceAccount, workload.name]));
}

/** Each workload's service account → the username that deploys it (the harness: it applies the scene's pods). */
function workloadDeployers(): Record<string, string> {
  const { frontend, api, db } = SCENE.workloads;
  return Object.fromEntries([frontend, api, db].map((workload) => [workload.serviceAccount, SCENE.requesters.harness.username]));
}

type Operation = 'CREATE' | 'UPDATE';

function policy(name: string, validations: readonly V1Validation[], operations: readonly Operation[]): KubeObject {
  const model: V1ValidatingAdmissionPolicy = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name, labels: managedLabels() },
    spec: {
      failurePolicy: 'Fail',
      paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
      matchConstraints: {
        resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: [...operations], resources: ['pods'] }],
      },
      validations: [...validations],
    },
  };
  return asKubeObject(model);
}

function binding(name: string, policyName: string, paramsName: string): KubeObject {
  const model: V1ValidatingAdmissionPolicyBinding = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name, labels: managedLabels() },
    spec: {
      policyName,
      // No namespace: the params are read from the namespace of the pod being admitted.
      paramRef: { name: paramsName, parameterNotFoundAction: 'Deny' },
      validationActions: ['Deny'],
      matchResources: {
        namespaceSelector: {
          matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: [...HARDENED_ADMISSION.namespaces] }],
        },
      },
    },
  };
  return asKubeObject(model);
}

function params(name: string, namespace: string, data: Record<string, string>): KubeObject {
  const model: V1ConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace, labels: managedLabels() },
    data,
  };
  return asKubeObject(model);
}

/** Params first, then each policy, then the binding that activates it. */
export function buildHardenedAdmissionPolicies(): KubeObject[] {
  const A = HARDENED_ADMISSION;
  return [
    ...A.namespaces.map((namespace) => params(A.params, namespace, workloadIdentities())),
    ...A.namespaces.map((namespace) => params(A.deployerParams, namespace, workloadDeployers())),
    policy(A.policy, HARDENED_VALIDATIONS, ['CREATE', 'UPDATE']),
    binding(A.binding, A.policy, A.params),
    // CREATE only: a pod's serviceAccountName cannot change after creation, and UPDATEs come from other requesters
    // (istio-cni annotates ambient pods, controllers patch labels) that must not be refused for the deployer's pods.
    policy(A.deployerPolicy, DEPLOYER_VALIDATIONS, ['CREATE']),
    binding(A.deployerBinding, A.deployerPolicy, A.deployerParams),
  ];
}
