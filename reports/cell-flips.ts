import type { Cell } from '../core/domain/cell.ts';

/** One run of the same matrix, for a determinism check. */
export interface LabelledRun {
  /** e.g. `c64#2`: concurrency 64, second repeat. */
  readonly label: string;
  readonly cells: readonly Cell[];
}

/** What a determinism check compares: the verdict, nothing timing-dependent. */
export function verdictOf(cell: Cell | undefined): string {
  if (cell === undefined) return 'missing';
  if (cell.outcome !== 'blocked') return cell.outcome;
  return `blocked/${cell.blockedBy ?? '?'}/${cell.confidence ?? '?'}`;
}

export interface CellFlip {
  readonly profileId: string;
  readonly attackId: string;
  /** The verdict per run, in the order of the runs. */
  readonly verdicts: readonly { readonly label: string; readonly verdict: string }[];
}

/**
 * Every (profile, attack) whose outcome, blocking layer or confidence is not the same in all runs. A cell
 * missing from a run is a flip too: a check that cannot see a cell must not call it stable.
 */
export function findFlips(runs: readonly LabelledRun[]): CellFlip[] {
  const keys = new Map<string, { profileId: string; attackId: string }>();
  const indexed = runs.map((run) => new Map(run.cells.map((cell) => [`${cell.profileId} ${cell.attackId}`, cell])));
  for (const run of runs) for (const cell of run.cells) keys.set(`${cell.profileId} ${cell.attackId}`, { profileId: cell.profileId, attackId: cell.attackId });
  const flips: CellFlip[] = [];
  for (const [key, { profileId, attackId }] of [...keys].sort(([a], [b]) => a.localeCompare(b))) {
    const verdicts = runs.map((run, index) => ({ label: run.label, verdict: verdictOf(indexed[index]?.get(key)) }));
    if (new Set(verdicts.map((entry) => entry.verdict)).size > 1) flips.push({ profileId, attackId, verdicts });
  }
  return flips;
}

export function renderFlips(flips: readonly CellFlip[], cellCount: number): string {
  if (flips.length === 0) return `0 flips: all ${cellCount} cells have the same outcome, layer and confidence in every run\n`;
  const lines = [`${flips.length} flip(s) among ${cellCount} cells:`];
  for (const flip of flips) {
    lines.push(`  ${flip.profileId}  ${flip.attackId}:  ${flip.verdicts.map((entry) => `${entry.label}=${entry.verdict}`).join('  ')}`);
  }
  return `${lines.join('\n')}\n`;
}
