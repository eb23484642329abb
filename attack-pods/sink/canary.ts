import { randomBytes } from 'node:crypto';
import { BadInputError } from '../../core/domain/errors.ts';

/** A canary: `bm` + 16 lowercase hex chars (8 random bytes). The sink records any token of this shape. */
export const CANARY_PATTERN = /^bm[0-9a-f]{16}$/;

/** A fresh, unguessable canary for one attempt. */
export function newCanary(): string {
  return `bm${randomBytes(8).toString('hex')}`;
}

export function isCanary(value: string): boolean {
  return CANARY_PATTERN.test(value);
}

/**
 * The `ping -p` pattern that carries a canary over ICMP: its 16 hex chars (8 bytes). The whole canary does not
 * fit (ping allows 16 pattern bytes); the sink rebuilds `bm` + hex from the repeated 8-byte pattern.
 */
export function canaryPingPattern(canary: string): string {
  assertCanary(canary, 'canaryPingPattern');
  return canary.slice(2);
}

export function assertCanary(canary: string, where: string): void {
  if (!isCanary(canary)) {
    throw new BadInputError(`canary ${JSON.stringify(canary)} has the wrong shape`, where, 'bm + 16 lowercase hex chars');
  }
}
