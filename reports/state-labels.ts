import type { MatrixState } from './report-model.ts';

/**
 * The one table of how each matrix state is named in every report: a new outcome (e.g. `not-run`) is one entry
 * here, and the compiler points at this table until it has one. `score` orders the per-stack score row.
 */
export interface StateLabel {
  /** Short word for score rows, filters and counts. */
  readonly label: string;
  /** Markdown badge (emoji render on GitHub). */
  readonly badge: string;
  /** HTML symbol: plain characters, no emoji font needed. */
  readonly symbol: string;
  readonly meaning: string;
  /** Position in the score row (blocked · allowed · inconclusive · n/a · error …). */
  readonly score: number;
  /** Shown in the score row even at 0 (the five every reader expects); others only when present. */
  readonly alwaysScored: boolean;
}

export const STATE_LABELS: Readonly<Record<MatrixState, StateLabel>> = {
  blocked: { label: 'blocked', badge: '✅ blocked', symbol: '✔', meaning: 'a layer stopped the attack', score: 0, alwaysScored: true },
  allowed: { label: 'allowed', badge: '⚠️ ALLOWED', symbol: '⚠', meaning: 'the attack worked (for exfiltration: the sink received the canary)', score: 1, alwaysScored: true },
  inconclusive: { label: 'inconclusive', badge: '❔ inconclusive', symbol: '?', meaning: 'blocked, but the positive control failed too — no verdict', score: 2, alwaysScored: true },
  'not-applicable': { label: 'n/a', badge: '➖ n/a', symbol: '–', meaning: 'the attack does not apply to this stack', score: 3, alwaysScored: true },
  error: { label: 'error', badge: '💥 error', symbol: '✖', meaning: 'the attempt failed for a reason that says nothing about the network', score: 4, alwaysScored: true },
  'not-run': { label: 'interrupted', badge: '⏸ interrupted', symbol: '‖', meaning: 'the attempt was in flight when the run was interrupted: nothing was measured', score: 5, alwaysScored: false },
  missing: { label: 'not run', badge: '· not run', symbol: '·', meaning: 'no result (run interrupted or profile failed)', score: 6, alwaysScored: false },
};

/** Every state in score-row order. */
export const SCORE_STATES: readonly MatrixState[] = (Object.keys(STATE_LABELS) as MatrixState[]).sort((a, b) => STATE_LABELS[a].score - STATE_LABELS[b].score);

/** The states a score row shows for these counts: the usual five, plus any other that occurred. */
export function scoredStates(...counts: readonly Readonly<Record<MatrixState, number>>[]): readonly MatrixState[] {
  return SCORE_STATES.filter((state) => STATE_LABELS[state].alwaysScored || counts.some((count) => count[state] > 0));
}

/** `12 blocked · 3 allowed · 0 inconclusive · 4 n/a · 0 error` for one column's counts. */
export function scoreText(counts: Readonly<Record<MatrixState, number>>, states: readonly MatrixState[] = scoredStates(counts)): string {
  return states.map((state) => `${counts[state]} ${STATE_LABELS[state].label}`).join(' · ');
}

/** What a cell of a failed profile says instead of repeating the profile's failure in every row. */
export const SEE_BANNER = 'see banner';
