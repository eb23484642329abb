import type { AttackFamily } from '../domain/attack.ts';

export interface SuiteAttack {
  readonly id: string;
  readonly title: string;
  readonly family: AttackFamily;
}

/** What the runner hands the attack suites through `provide`/`inject`. */
export interface SuiteContext {
  readonly socketPath: string;
  /** The profiles of this group of the run: each suite file describes its family once per profile. */
  readonly profileIds: readonly string[];
  /** The attacks selected for this run (after --attack filtering); the broker holds their definitions. */
  readonly attacks: readonly SuiteAttack[];
}

declare module 'vitest' {
  export interface ProvidedContext {
    breachmatrix: SuiteContext;
  }
}
