import type { AttackDefinition, AttemptContext } from '../../../core/domain/attack.ts';
import type { StackTraits } from '../../../core/domain/profile.ts';
import { ATTACKS } from '../index.ts';
import { testAddresses } from './test-addresses.ts';

/** The canary catalogue tests build plans with. */
export const TEST_CANARY = 'bm3f9a0c1d2e4b5a6c';

/** A plan context on `stack`: the catalogue tests' canary and scene addresses unless given. */
export function planContext(stack: StackTraits, canary: string = TEST_CANARY, addresses: AttemptContext['addresses'] = testAddresses()): AttemptContext {
  return { stack, canary, addresses };
}

/** One attack on one stack, and how a failure message names the pair. */
export interface StackAttackCase {
  readonly stack: StackTraits;
  readonly attack: AttackDefinition;
  /** `<attack id> on <profile id>`. */
  readonly where: string;
}

/**
 * Every attack on every stack, stack by stack in catalogue order: the per-stack loop catalogue-wide tests share.
 * `applicableOnly` leaves out the attacks a stack does not run (not-applicable).
 */
export function stackAttackCases(
  stacks: readonly StackTraits[],
  options: { readonly attacks?: readonly AttackDefinition[]; readonly applicableOnly?: boolean } = {},
): StackAttackCase[] {
  return stacks.flatMap((stack) =>
    (options.attacks ?? ATTACKS)
      .filter((attack) => options.applicableOnly !== true || attack.notApplicable(stack) === undefined)
      .map((attack) => ({ stack, attack, where: `${attack.id} on ${stack.profileId}` })),
  );
}
