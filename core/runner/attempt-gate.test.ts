import { describe, expect, it } from 'vitest';
import { testCell } from '../../reports/fixtures/samples.ts';
import { AttemptGate } from './attempt-gate.ts';

describe('AttemptGate', () => {
  it('records every cell unchanged while the run has not stopped', () => {
    const gate = new AttemptGate(() => false);
    const error = testCell('r', 'p', 'A1', { outcome: 'error', reason: 'infrastructure: pod never ran' });
    expect(gate.settle(error)).toBe(error);
  });

  it('after the interrupt: an error becomes not-run without verdict fields, a measured verdict is kept', () => {
    const gate = new AttemptGate(() => true);
    const error = testCell('r', 'p', 'A1', { outcome: 'error', reason: 'infrastructure: ip exit 128', canary: 'bm0123456789abcdef' });
    const settled = gate.settle(error);
    expect(settled).toMatchObject({ outcome: 'not-run', asExpected: false, canary: 'bm0123456789abcdef' });
    expect(settled?.reason).toBe('interrupted while in flight; the attempt ended as error: infrastructure: ip exit 128');
    for (const field of ['signal', 'blockedBy', 'confidence'] as const) expect(settled).not.toHaveProperty(field);
    const blocked = testCell('r', 'p', 'A2');
    expect(gate.settle(blocked)).toBe(blocked);
  });

  it('a sealed attempt records nothing more: a late "blocked" from a torn-down cluster is dropped', () => {
    const gate = new AttemptGate(() => false);
    const sealed = testCell('r', 'p', 'A1', { outcome: 'not-run', reason: 'still running when its cluster was torn down' });
    expect(gate.seal(sealed)).toBe(true);
    expect(gate.seal(sealed)).toBe(false);
    expect(gate.settle(testCell('r', 'p', 'A1'))).toBeUndefined();
    expect(gate.sealedCell('p', 'A1')).toBe(sealed);
    expect(gate.settle(testCell('r', 'p', 'A2'))).toMatchObject({ attackId: 'A2', outcome: 'blocked' });
  });

  it('never seals an attempt whose own result was already recorded (one line per cell)', () => {
    const gate = new AttemptGate(() => true);
    expect(gate.settle(testCell('r', 'p', 'A1'))).toMatchObject({ outcome: 'blocked' });
    expect(gate.seal(testCell('r', 'p', 'A1', { outcome: 'not-run' }))).toBe(false);
    expect(gate.sealedCell('p', 'A1')).toBeUndefined();
  });
});
