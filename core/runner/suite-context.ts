import type { AttackFamily } from '../domain/attack.ts';

export interface SuiteAttack {
  readonly id: string;
  readonly title: string;
  readonly family: AttackFamily;
}

/** What the runner hands each vitest project (one per profile) through `provide`/`inject`. */
export interface SuiteContext {
  readonly socketPath: string;
  readonly profileId: string;
  /** The attacks selected for this run (after --attack filtering); the broker holds their definitions. */
  readonly attacks: readonly SuiteAttack[];
}

declare module 'vitest' {
  export interface ProvidedContext {
    breachmatrix: SuiteContext;
  }
}
