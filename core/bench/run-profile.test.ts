import { describe, expect, it } from 'vitest';
import type { Cell } from '../domain/cell.ts';
import type { ResultLine } from '../domain/results.ts';
import { profileRun } from './run-profile.ts';

const LAUNCH = Date.parse('2026-11-29T14:00:00.000Z');
const at = (seconds: number): string => new Date(LAUNCH + seconds * 1000).toISOString();

function cell(profileId: string, attackId: string, from: number, to: number, extra: Partial<Cell> = {}): ResultLine {
  return {
    type: 'cell',
    cell: {
      profileId,
      attackId,
      outcome: 'blocked',
      asExpected: true,
      attempts: 1,
      timings: { startedAt: at(from), finishedAt: at(to), controlMs: 1_000, attemptMs: 2_000, evidenceMs: 0 },
      ...extra,
    } as Cell,
  };
}

describe('profileRun (where a bench run\'s time went)', () => {
  it('places results.jsonl timestamps and progress lines on one clock since the launch', () => {
    const lines = [
      { type: 'run', startedAt: at(2) },
      // Not applicable: written at once, never the "first cell".
      cell('lab:none', 'AM1', 2.1, 2.1, { outcome: 'not-applicable', attempts: 0, timings: { startedAt: at(2.1), finishedAt: at(2.1), controlMs: 0, attemptMs: 0, evidenceMs: 0 } }),
      { type: 'scene', profileId: 'lab:none', durationMs: 500, at: at(4) },
      { type: 'scene', profileId: 'lab:netpol', durationMs: 4_700, at: at(7.5) },
      cell('lab:none', 'SC1', 4.2, 6.5),
      cell('lab:netpol', 'SC1', 7.6, 12, { asExpected: false }),
      { type: 'end', finishedAt: at(14) },
    ] as unknown as ResultLine[];
    const stderr = [
      'ok    root: running as root (uid 0)',
      '[lab:none] applying scene (1.0s)',
      '[lab:netpol] applying scene (1.5s)',
      '[lab:netpol+sidecar] depth cni-only: lab bml-abc: kube-dns and the internet sink (1.8s)',
      '[lab:none] torn down (11.5s)',
      '[lab:netpol] torn down (11.9s)',
    ].join('\n');
    const run = profileRun(lines, stderr, LAUNCH);
    expect(run.phases).toEqual({ startUp: 2, labsUp: 3.8, selfTests: 7.5, firstCellStart: 4.2, firstCell: 6.5, lastCell: 12, tornDown: 13.9, end: 14 });
    expect(run.selfTestByStack).toEqual({ 'lab:none': 0.5, 'lab:netpol': 4.7 });
    expect(run).toMatchObject({ cells: 3, asExpected: 2, cellSeconds: 6 });
    expect(run.unexpected).toHaveLength(1);
    expect(run.unexpected[0]).toMatch(/^lab:netpol SC1: /);
  });

  it('leaves out the phases a run never reached (no header: nothing is placed on the clock)', () => {
    const run = profileRun([], '[lab:none] applying scene (1.0s)', LAUNCH);
    expect(run.phases).toEqual({});
    expect(run.cells).toBe(0);
  });
});
