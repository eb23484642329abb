import type { PolicyGroup } from '../domain/depth.ts';
import type { StackTraits } from '../domain/profile.ts';

/**
 * The stack as a depth pass applies it: only its own group's policies. The scene self-test reads it to know which
 * flows must turn denied — an admission-only pass (the hardened set's ValidatingAdmissionPolicy) denies no flow,
 * so waiting for denials there would fail every such pass.
 */
export function passStack(stack: StackTraits, group: PolicyGroup): StackTraits {
  return { ...stack, enforcesNetworkPolicy: stack.enforcesNetworkPolicy && group === 'cni', meshPolicies: stack.meshPolicies && group === 'mesh' };
}
