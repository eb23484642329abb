import { adviceFor } from '../attack-pods/catalogue/advice.ts';
import type { Fix, FixTarget, SeverityRating } from '../core/domain/attack.ts';
import type { Cell } from '../core/domain/cell.ts';

/**
 * Severity and fixes for the reports, looked up in the catalogue by attack id: results files carry ids, and a
 * result for an attack this version does not know simply has none (reports then show no severity and no fix).
 */
export function attackSeverity(attackId: string): SeverityRating | undefined {
  return adviceFor(attackId)?.severity;
}

/** What would close the attack on this profile; only ALLOWED cells get fixes. */
export function cellFixes(cell: Cell | null | undefined, profile: FixTarget): readonly Fix[] {
  if (cell === null || cell === undefined || cell.outcome !== 'allowed') return [];
  return adviceFor(cell.attackId)?.fixes(profile) ?? [];
}

/** One line per fix: `cni — feature: policy (source title <url>)`. */
export function fixLine(fix: Fix): string {
  return `${fix.layer} — ${fix.feature}: ${fix.policy} (${fix.source.title} <${fix.source.url}>)`;
}
