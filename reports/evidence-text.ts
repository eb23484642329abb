import type { Cell } from '../core/domain/cell.ts';
import type { EvidenceItem } from '../core/domain/evidence.ts';

/** One evidence item as a line: who recorded it, what it says, then the raw record verbatim. */
export function evidenceLine(item: EvidenceItem): string {
  const rule = item.rule === undefined ? '' : ` rule=${item.rule}`;
  const detail = item.detail === undefined ? '' : ` — ${item.detail}`;
  return `[${item.layer}/${item.source}] ${item.verdict}${rule}${detail}\n    ${item.raw}`;
}

/** The whole story of a cell in plain text, for JUnit bodies and terminal output. */
export function cellStory(cell: Cell): string {
  const lines = [
    `attack: ${cell.attackId} ${cell.title} (${cell.family})`,
    `profile: ${cell.profileId} (${cell.provider})`,
    `client signal: ${cell.signal ?? 'none'}`,
    `control: ${cell.control === undefined ? 'none' : `${cell.control.passed ? 'passed' : 'FAILED'} (${cell.control.signal})${cell.control.detail === undefined ? '' : ` ${cell.control.detail}`}`}`,
    `attempts: ${cell.attempts}`,
  ];
  if (cell.canary !== undefined) lines.push(`canary: ${cell.canary}`);
  if (cell.reason !== undefined) lines.push(`reason: ${cell.reason}`);
  lines.push(cell.evidence.length === 0 ? 'evidence: none recorded' : 'evidence:');
  for (const item of cell.evidence) lines.push(`  ${evidenceLine(item)}`);
  return lines.join('\n');
}
