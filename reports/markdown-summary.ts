import type { Cell } from '../core/domain/cell.ts';
import type { ProfileSummary } from '../core/domain/results.ts';
import { cellBadge, expectedText, observedText, profileVersions, STATE_LEGEND, UNEXPECTED_MARK } from './cell-label.ts';
import { cellStory } from './evidence-text.ts';
import { LAB_NOTE } from './json-report.ts';
import type { ReportModel } from './report-model.ts';

/** Text safe inside a GitHub Markdown table cell: no pipes, no raw HTML, no line breaks. */
export function markdownCell(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('|', '\\|').replace(/\r?\n/g, ' ');
}

function fence(text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((match) => match[0].length));
  const ticks = '`'.repeat(longest + 1);
  return `${ticks}text\n${text}\n${ticks}`;
}

function profileHeader(profile: ProfileSummary): string {
  const label = profile.isLab ? `${profile.id} 🧪` : profile.id;
  return `${markdownCell(label)}<br><sub>${markdownCell(profileVersions(profile))}</sub>`;
}

function countsLine(model: ReportModel): string {
  const { counts } = model;
  const parts = [
    `${counts.blocked} blocked`,
    `${counts.allowed} allowed`,
    `${counts.inconclusive} inconclusive`,
    `${counts['not-applicable']} n/a`,
    `${counts.error} error`,
  ];
  if (counts['not-run'] > 0) parts.push(`${counts['not-run']} interrupted`);
  if (counts.missing > 0) parts.push(`${counts.missing} not run`);
  const total = Object.values(counts).reduce((sum, value) => sum + value, 0);
  return `**${total} cells:** ${parts.join(' · ')} — **${model.unexpected.length} unexpected** ${UNEXPECTED_MARK}`;
}

function matrixTable(model: ReportModel): string[] {
  const lines = [
    `| attack | ${model.profiles.map(profileHeader).join(' | ')} |`,
    `|---|${model.profiles.map(() => '---').join('|')}|`,
  ];
  const blanks = model.profiles.map(() => ' ').join('|');
  for (const group of model.families) {
    lines.push(`| **${group.family}** |${blanks}|`);
    for (const row of group.rows) {
      const cells = row.cells.map((cell) => markdownCell(cellBadge(cell)));
      lines.push(`| ${markdownCell(`${row.attack.id} ${row.attack.title}`)} | ${cells.join(' | ')} |`);
    }
  }
  return lines;
}

function unexpectedSection(cells: readonly Cell[]): string[] {
  if (cells.length === 0) return ['## Unexpected cells', '', 'None: every observation matched its expectation.'];
  const lines = [
    `## Unexpected cells (${cells.length})`,
    '',
    '| profile | attack | expected | observed | source of the expectation |',
    '|---|---|---|---|---|',
  ];
  for (const cell of cells) {
    const expected = `${expectedText(cell.expected)} (${cell.expected.certainty})`;
    const observed = observedText(cell) + (cell.reason === undefined ? '' : ` — ${cell.reason}`);
    lines.push(`| ${markdownCell(cell.profileId)} | ${markdownCell(`${cell.attackId} ${cell.title}`)} | ${markdownCell(expected)} | ${markdownCell(observed)} | ${markdownCell(cell.expected.source)} |`);
  }
  for (const cell of cells) {
    lines.push('', `<details><summary>Evidence: ${markdownCell(`${cell.profileId} · ${cell.attackId}`)}</summary>`, '', fence(cellStory(cell)), '', '</details>');
  }
  return lines;
}

/** summary.md: for $GITHUB_STEP_SUMMARY — the matrix, a legend, then every cell that surprised us. */
export function renderMarkdownSummary(model: ReportModel): string {
  const { results } = model;
  const lines: string[] = ['# breachmatrix — which layer stops each attack', ''];
  if (model.hasLab) {
    const labColumns = model.profiles.filter((profile) => profile.isLab).map((profile) => `\`${profile.id}\``).join(', ');
    lines.push(`> [!NOTE]`, `> **Lab provider** (🧪 ${labColumns}): ${LAB_NOTE}`, '');
  }
  if (results.interrupted) lines.push('> [!WARNING]', '> The run was interrupted: cells that did not finish are shown as not run.', '');
  for (const warning of results.warnings) lines.push(`> ${markdownCell(warning)}`, '');
  lines.push(
    `Providers: ${results.providers.join(', ')} · runs: ${results.runs.map((run) => `\`${run.runId}\``).join(', ')} · ${results.startedAt} → ${results.finishedAt}`,
    '',
    countsLine(model),
    '',
    ...matrixTable(model),
    '',
    '### Legend',
    '',
    ...STATE_LEGEND.map((entry) => `- ${entry.badge} — ${entry.meaning}`),
    `- ${UNEXPECTED_MARK} — the observation differs from the expectation (listed below)`,
    '',
    ...unexpectedSection(model.unexpected),
  );
  const failed = model.profiles.filter((profile) => (model.profileErrors.get(profile.id)?.length ?? 0) > 0);
  if (failed.length > 0) {
    lines.push('', '## Profile errors', '');
    for (const profile of failed) {
      for (const error of model.profileErrors.get(profile.id) ?? []) lines.push(`- **${markdownCell(profile.id)}** ${markdownCell(error.component)}: ${markdownCell(error.message)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
