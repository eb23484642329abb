import { describe, expect, it } from 'vitest';
import { BadInputError } from '../../core/domain/errors.ts';
import { assertCanary, CANARY_PATTERN, canaryPingPattern, isCanary, newCanary } from './canary.ts';

describe('canary', () => {
  it('makes canaries of the shape the sink records, never twice the same', () => {
    const made = Array.from({ length: 1_000 }, () => newCanary());
    for (const canary of made) expect(canary).toMatch(CANARY_PATTERN);
    expect(new Set(made).size).toBe(made.length);
  });

  it('accepts only bm + 16 lowercase hex chars', () => {
    expect(isCanary('bm3f9a0c1d2e4b5a6c')).toBe(true);
    expect(isCanary('BM3F9A0C1D2E4B5A6C')).toBe(false);
    expect(isCanary('bm3f9a0c1d2e4b5a6')).toBe(false);
    expect(isCanary('bm3f9a0c1d2e4b5a6cd')).toBe(false);
    expect(isCanary('xbm3f9a0c1d2e4b5a6c')).toBe(false);
    expect(isCanary('bm3f9a0c1d2e4b5a6g')).toBe(false);
  });

  it('gives the 8-byte ping pattern of a canary and refuses a non-canary', () => {
    expect(canaryPingPattern('bm3f9a0c1d2e4b5a6c')).toBe('3f9a0c1d2e4b5a6c');
    expect(() => canaryPingPattern('nope')).toThrow(BadInputError);
    expect(() => assertCanary('bm123', 'here')).toThrow(/here: canary "bm123" has the wrong shape \(allowed: bm \+ 16 lowercase hex chars\)/);
  });
});
