/** Exit codes, documented in the README. */
export const EXIT = {
  ok: 0,
  unexpected: 1,
  badInput: 2,
  infrastructure: 3,
  interrupted: 130,
} as const;

/**
 * Bad configuration, profile, policy or flag: names what is wrong, where, and what is allowed. Thrown before
 * anything is created, so nothing is half-applied. Exit code 2.
 */
export class BadInputError extends Error {
  readonly where: string;
  readonly allowed: string | undefined;
  constructor(message: string, where: string, allowed?: string) {
    super(`${where}: ${message}${allowed === undefined ? '' : ` (allowed: ${allowed})`}`);
    this.name = 'BadInputError';
    this.where = where;
    this.allowed = allowed;
  }
}

/** A cluster, tool or component failed; cells become `error`, never `blocked`. Exit code 3. */
export class InfrastructureError extends Error {
  readonly component: string;
  constructor(component: string, message: string, options?: { cause?: unknown }) {
    super(`${component}: ${message}`, options);
    this.name = 'InfrastructureError';
    this.component = component;
  }
}
