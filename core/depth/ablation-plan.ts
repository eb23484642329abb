import type { KubeObject } from '../domain/cluster.ts';
import type { PolicyGroup } from '../domain/depth.ts';
import { objectLabel } from '../scene-check/read-back-check.ts';
import type { LayeredScene } from './layered-scene.ts';

/**
 * What deleting an object of a group does, by kind: `delete` ends the group's enforcement of it (upstream cited),
 * `keep` stays in every pass because it enforces nothing on its own. A kind in neither list is refused: its
 * removal is not modelled, so a pass would claim an ablation it cannot vouch for.
 */
const ABLATION: Readonly<Record<PolicyGroup, { readonly delete: readonly string[]; readonly keep: readonly string[] }>> = {
  // A ValidatingAdmissionPolicy is evaluated once per binding ("each binding will cause its policy to be
  // evaluated", https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/validating-admission-policy-binding-v1/):
  // without its binding the policy refuses nothing. The policy and its params ConfigMap stay.
  admission: { delete: ['ValidatingAdmissionPolicyBinding'], keep: ['ValidatingAdmissionPolicy', 'ConfigMap'] },
  // A pod no NetworkPolicy selects is non-isolated, i.e. allowed both ways
  // (https://kubernetes.io/docs/concepts/services-networking/network-policies/#the-two-sorts-of-pod-isolation);
  // Cilium's default enforcement mode allows an endpoint no rule selects
  // (https://docs.cilium.io/en/stable/security/policy/intro/#policy-enforcement-modes); Calico allows traffic of an
  // endpoint no policy applies to (https://docs.tigera.io/calico/latest/network-policy/get-started/calico-policy/calico-network-policy).
  cni: { delete: ['NetworkPolicy', 'CiliumNetworkPolicy', 'CiliumClusterwideNetworkPolicy', 'GlobalNetworkPolicy'], keep: [] },
  // Istio: with no ALLOW/DENY policy on a workload every request is allowed
  // (https://istio.io/latest/docs/concepts/security/#implicit-enablement); without a PeerAuthentication the mode is
  // PERMISSIVE (https://istio.io/latest/docs/reference/config/security/peer_authentication/); without a Sidecar
  // resource the mesh default outboundTrafficPolicy (ALLOW_ANY) applies
  // (https://istio.io/latest/docs/reference/config/networking/sidecar/). The ambient waypoint (a Gateway) is the
  // enforcement point, not a policy: it stays, as the sidecar stays on the lab's passes.
  mesh: { delete: ['AuthorizationPolicy', 'PeerAuthentication', 'Sidecar'], keep: ['Gateway'] },
};

/** One in-place pass: which objects go for its duration and which stay. */
export interface AblationPlan {
  /** The group this pass keeps (as in `depth.layers[].policies`). */
  readonly kept: PolicyGroup;
  /** Policy objects of every other group, deleted for the pass and applied again after it, in apply order. */
  readonly remove: readonly KubeObject[];
  /** Everything that must read back present during the pass: the scene, the kept group and the kept-by-kind objects. */
  readonly present: readonly KubeObject[];
}

/**
 * The in-place pass keeping `kept`: every other group's deletable objects go. Throws when a group holds a kind whose
 * removal is not modelled, or when a pass would delete nothing of a group (nothing to measure then).
 */
export function ablationPlan(layered: LayeredScene, kept: PolicyGroup): AblationPlan {
  const remove: KubeObject[] = [];
  const present: KubeObject[] = [...layered.scene];
  for (const { group, objects } of layered.groups) {
    if (group === kept) {
      present.push(...objects);
      continue;
    }
    const rule = ABLATION[group];
    const unmodelled = objects.filter((object) => !rule.delete.includes(object.kind) && !rule.keep.includes(object.kind));
    if (unmodelled.length > 0) {
      throw new Error(`the ${group} policies hold ${unmodelled.map(objectLabel).join(', ')}: deleting ${unmodelled.length === 1 ? 'this kind' : 'these kinds'} is not modelled (deletable ${group} kinds: ${rule.delete.join(', ')})`);
    }
    const deleted = objects.filter((object) => rule.delete.includes(object.kind));
    if (deleted.length === 0) throw new Error(`the ${group} policies hold nothing a pass can delete (${objects.map(objectLabel).join(', ')})`);
    remove.push(...deleted);
    present.push(...objects.filter((object) => !rule.delete.includes(object.kind)));
  }
  return { kept, remove, present };
}
