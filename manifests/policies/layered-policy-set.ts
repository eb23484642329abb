import type { KubeObject } from '../../core/domain/cluster.ts';
import type { StackTraits } from '../../core/domain/profile.ts';
import { buildAdmissionPolicies } from './admission-policies.ts';
import { buildCalicoPolicies } from './calico-policies.ts';
import { buildCiliumPolicies } from './cilium-policies.ts';
import { buildIstioPolicies } from './istio-policies.ts';
import { buildKubernetesNetworkPolicies } from './kubernetes-network-policies.ts';

/** The policies of each layer, applied layer by layer (named so as not to clash with core's `PolicySet` choice). */
export interface LayeredPolicySet {
  readonly admission: KubeObject[];
  readonly cni: KubeObject[];
  readonly mesh: KubeObject[];
}

/**
 * The layered zero-trust policy set for a stack (the scene's cni, mesh and admission layers), honouring
 * `stack.policy`: `layered` applies the CNI part — on flannel too, whose NetworkPolicies nothing enforces (that is
 * its column: `enforcesNetworkPolicy` is false there, so every expectation says what an unenforced policy lets
 * through) — `meshPolicies` (a mesh and not `none`) gates the mesh part. With `none` every layer is empty.
 */
export function buildPolicySet(stack: StackTraits): LayeredPolicySet {
  const cni: KubeObject[] = [];
  if (stack.policy === 'layered') {
    cni.push(...buildKubernetesNetworkPolicies(stack));
    if (stack.cni === 'cilium') cni.push(...buildCiliumPolicies(stack));
    if (stack.cni === 'calico') cni.push(...buildCalicoPolicies(stack));
  }
  return {
    admission: buildAdmissionPolicies(stack),
    cni,
    mesh: stack.meshPolicies ? buildIstioPolicies(stack) : [],
  };
}

/** All objects of the set in apply order: admission, cni, mesh. */
export function policySetObjects(set: LayeredPolicySet): readonly KubeObject[] {
  return [...set.admission, ...set.cni, ...set.mesh];
}
