import type { Expectation } from '../core/domain/attack.ts';
import { isUnexpected, type Cell } from '../core/domain/cell.ts';
import type { ProfileSummary } from '../core/domain/results.ts';
import type { MatrixState } from './report-model.ts';

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

/** The compact matrix label: `✅ cni (confirmed)`, `⚠️ ALLOWED`, … with `❗` on unexpected cells. */
export function cellBadge(cell: Cell | undefined): string {
  const mark = cell !== undefined && isUnexpected(cell) ? '❗ ' : '';
  return mark + badgeWithoutMark(cell);
}

function badgeWithoutMark(cell: Cell | undefined): string {
  if (cell === undefined) return '· not run';
  switch (cell.outcome) {
    case 'blocked':
      return `${cell.confidence === 'confirmed' ? '✅' : '🟡'} ${cell.blockedBy ?? '?'} (${cell.confidence ?? 'inferred'})`;
    case 'allowed':
      return '⚠️ ALLOWED';
    case 'inconclusive':
      return '❔ inconclusive';
    case 'not-applicable':
      return '➖ n/a';
    case 'error':
      return '💥 error';
    case 'not-run':
      return '⏸ interrupted';
  }
}

export const STATE_LEGEND: readonly { readonly state: MatrixState | 'blocked-inferred'; readonly badge: string; readonly meaning: string }[] = [
  { state: 'blocked', badge: '✅ layer (confirmed)', meaning: "blocked; the layer's own record confirms it" },
  { state: 'blocked-inferred', badge: '🟡 layer (inferred)', meaning: 'blocked; the layer is inferred from the client signal, no record matched' },
  { state: 'allowed', badge: '⚠️ ALLOWED', meaning: 'the attack worked (for exfiltration: the sink received the canary)' },
  { state: 'inconclusive', badge: '❔ inconclusive', meaning: 'blocked, but the positive control failed too — no verdict' },
  { state: 'not-applicable', badge: '➖ n/a', meaning: 'the attack does not apply to this stack' },
  { state: 'error', badge: '💥 error', meaning: 'the attempt failed for a reason that says nothing about the network' },
  { state: 'not-run', badge: '⏸ interrupted', meaning: 'the attempt was in flight when the run was interrupted: nothing was measured' },
  { state: 'missing', badge: '· not run', meaning: 'no result (run interrupted or profile failed)' },
];

export const UNEXPECTED_MARK = '❗';

export function profileVersions(profile: ProfileSummary): string {
  if (profile.isLab) return 'lab model';
  const { kubernetes, ...rest } = profile.versions;
  const parts = Object.entries(rest).filter((entry): entry is [string, string] => typeof entry[1] === 'string');
  return [`kubernetes ${kubernetes}`, ...parts.map(([name, version]) => `${name} ${version}`)].join(', ');
}
