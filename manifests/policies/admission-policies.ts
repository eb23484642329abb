import type { KubeObject } from '../../core/domain/cluster.ts';
import type { StackTraits } from '../../core/domain/profile.ts';
import { buildHardenedAdmissionPolicies } from './hardened-admission-policies.ts';

/**
 * The baseline admission layer is Pod Security Admission, configured by the namespace labels of the scene
 * (scene/namespaces.ts), so the baseline part of the policy set is empty on purpose: it measures what stock stacks
 * stop. The hardened set (`--policy-set hardened`) adds a ValidatingAdmissionPolicy (hardened-admission-policies.ts).
 */
export function buildAdmissionPolicies(stack: StackTraits): KubeObject[] {
  return stack.strength === 'hardened' ? buildHardenedAdmissionPolicies() : [];
}
