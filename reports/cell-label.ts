import type { Expectation } from '../core/domain/attack.ts';
import { isUnexpected, type Cell } from '../core/domain/cell.ts';
import type { ProfileSummary } from '../core/domain/results.ts';
import type { MatrixState } from './report-model.ts';
import { SCORE_STATES, SEE_BANNER, STATE_LABELS } from './state-labels.ts';

/** Short human labels shared by the Markdown, JUnit and HTML reporters, so they all say the same thing. */

export function observedText(cell: Cell | undefined): string {
  if (cell === undefined) return 'not run';
  switch (cell.outcome) {
    case 'blocked':
      return `blocked by ${cell.blockedBy ?? 'an unknown layer'}${cell.confidence === undefined ? '' : ` (${cell.confidence})`}`;
    case 'not-applicable':
      return 'not applicable';
    case 'not-run':
      return 'not run (interrupted in flight)';
    default:
      return cell.outcome;
  }
}

export function expectedText(expected: Expectation): string {
  const signal = expected.signal === undefined ? '' : `, ${expected.signal}`;
  switch (expected.outcome) {
    case 'blocked':
      return `blocked by ${expected.blockedBy ?? 'any layer'}${signal}`;
    case 'not-applicable':
      return 'not applicable';
    default:
      return `allowed${signal}`;
  }
}

/**
 * The compact matrix label: `✅ cni (confirmed)`, `⚠️ ALLOWED`, … with `❗` on unexpected cells. A cell of a
 * failed profile says "see banner": the reason is written once, at the top.
 */
export function cellBadge(cell: Cell | undefined, failedProfileCell = false): string {
  const mark = cell !== undefined && isUnexpected(cell) ? `${UNEXPECTED_MARK} ` : '';
  return mark + badgeWithoutMark(cell) + (failedProfileCell ? ` — ${SEE_BANNER}` : '');
}

function badgeWithoutMark(cell: Cell | undefined): string {
  if (cell === undefined) return STATE_LABELS.missing.badge;
  if (cell.outcome === 'blocked') return `${cell.confidence === 'confirmed' ? '✅' : '🟡'} ${cell.blockedBy ?? '?'} (${cell.confidence ?? 'inferred'})`;
  return STATE_LABELS[cell.outcome].badge;
}

export const STATE_LEGEND: readonly { readonly state: MatrixState | 'blocked-inferred'; readonly badge: string; readonly meaning: string }[] = [
  { state: 'blocked', badge: '✅ layer (confirmed)', meaning: "blocked; the layer's own record confirms it" },
  { state: 'blocked-inferred', badge: '🟡 layer (inferred)', meaning: 'blocked; the layer is inferred from the client signal, no record matched' },
  ...SCORE_STATES.filter((state) => state !== 'blocked').map((state) => ({ state, badge: STATE_LABELS[state].badge, meaning: STATE_LABELS[state].meaning })),
];

export const UNEXPECTED_MARK = '❗';

export function profileVersions(profile: ProfileSummary): string {
  if (profile.isLab) return 'lab model';
  const { kubernetes, ...rest } = profile.versions;
  const parts = Object.entries(rest).filter((entry): entry is [string, string] => typeof entry[1] === 'string');
  return [`kubernetes ${kubernetes}`, ...parts.map(([name, version]) => `${name} ${version}`)].join(', ');
}
