import { describe, expect, it } from 'vitest';
import { findFlips, renderFlips } from './cell-flips.ts';
import { testCell } from './fixtures/samples.ts';

describe('findFlips', () => {
  const stable = [testCell('a', 'p', 'A1'), testCell('a', 'p', 'A2', { outcome: 'allowed', blockedBy: undefined, confidence: undefined })];

  it('finds nothing when every run has the same verdicts (timings and evidence may differ)', () => {
    const other = stable.map((cell) => ({ ...cell, runId: 'b', timings: { ...cell.timings, attemptMs: 9999 }, evidence: [] }));
    const flips = findFlips([{ label: 'c1#1', cells: stable }, { label: 'c64#1', cells: other }]);
    expect(flips).toEqual([]);
    expect(renderFlips(flips, 2)).toBe('0 flips: all 2 cells have the same outcome, layer and confidence in every run\n');
  });

  it('reports a changed layer, a changed confidence and a missing cell, with every run\'s verdict', () => {
    const changed = [testCell('b', 'p', 'A1', { blockedBy: 'mesh-sidecar' })];
    const inferred = [testCell('c', 'p', 'A1', { confidence: 'inferred' }), stable[1]!];
    const flips = findFlips([{ label: 'c1#1', cells: stable }, { label: 'c1#2', cells: changed }, { label: 'c64#1', cells: inferred }]);
    expect(flips).toEqual([
      { profileId: 'p', attackId: 'A1', verdicts: [{ label: 'c1#1', verdict: 'blocked/cni/confirmed' }, { label: 'c1#2', verdict: 'blocked/mesh-sidecar/confirmed' }, { label: 'c64#1', verdict: 'blocked/cni/inferred' }] },
      { profileId: 'p', attackId: 'A2', verdicts: [{ label: 'c1#1', verdict: 'allowed' }, { label: 'c1#2', verdict: 'missing' }, { label: 'c64#1', verdict: 'allowed' }] },
    ]);
    expect(renderFlips(flips, 2)).toContain('  p  A1:  c1#1=blocked/cni/confirmed  c1#2=blocked/mesh-sidecar/confirmed  c64#1=blocked/cni/inferred');
  });
});
