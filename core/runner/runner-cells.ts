import type { AttackDefinition } from '../domain/attack.ts';
import type { Cell } from '../domain/cell.ts';
import { stackTraits, type Profile, type ProviderName } from '../domain/profile.ts';
import { RESULTS_SCHEMA_VERSION } from '../domain/results.ts';

/** Cells the runner records itself, without an attempt: known before any cluster exists, or when none ran. */

export interface RunIdentity {
  readonly runId: string;
  readonly provider: ProviderName;
}

function unattemptedCell(run: RunIdentity, profile: Profile, attack: AttackDefinition, now: string) {
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    runId: run.runId,
    provider: run.provider,
    profileId: profile.id,
    attackId: attack.id,
    family: attack.family,
    title: attack.title,
    evidence: [],
    expected: attack.expect(stackTraits(profile)),
    attempts: 0,
    timings: { startedAt: now, finishedAt: now, controlMs: 0, attemptMs: 0, evidenceMs: 0 },
  };
}

export function cellKey(profileId: string, attackId: string): string {
  return `${profileId} ${attackId}`;
}

/**
 * Every not-applicable cell of the matrix, decided from the stack's traits alone: the runner writes them at the
 * start of the run, so an interrupt at any moment keeps them.
 */
export function notApplicableCells(run: RunIdentity, profiles: readonly Profile[], attacks: readonly AttackDefinition[]): Map<string, Cell> {
  const now = new Date().toISOString();
  const cells = new Map<string, Cell>();
  for (const profile of profiles) {
    for (const attack of attacks) {
      const reason = attack.notApplicable(stackTraits(profile));
      if (reason === undefined) continue;
      const base = unattemptedCell(run, profile, attack, now);
      cells.set(cellKey(profile.id, attack.id), { ...base, outcome: 'not-applicable', reason, asExpected: base.expected.outcome === 'not-applicable' });
    }
  }
  return cells;
}

/** The column of a stack that could not be provisioned: an unprovisioned stack blocked nothing. */
export function infrastructureErrorCell(run: RunIdentity, profile: Profile, attack: AttackDefinition, message: string): Cell {
  return { ...unattemptedCell(run, profile, attack, new Date().toISOString()), outcome: 'error', reason: `infrastructure: ${message}`, asExpected: false };
}

/** An attempt that was still running when its cluster was torn down: nothing of it can be trusted. */
export function notRunCell(run: RunIdentity, profile: Profile, attack: AttackDefinition, reason: string): Cell {
  return { ...unattemptedCell(run, profile, attack, new Date().toISOString()), outcome: 'not-run', reason, asExpected: false };
}

/**
 * A finished attempt's cell recorded as not measured: the verdict fields go (no signal, layer or confidence
 * survives), the attempt's own facts (canary, timings, attempts) and the original reason stay.
 */
export function asNotRun(cell: Cell, why: string): Cell {
  const { signal: _signal, blockedBy: _blockedBy, confidence: _confidence, reason, ...rest } = cell;
  return { ...rest, outcome: 'not-run', asExpected: false, reason: `${why}${reason === undefined ? '' : `; the attempt ended as ${cell.outcome}: ${reason}`}` };
}
