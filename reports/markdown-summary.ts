import type { ProfileSummary } from '../core/domain/results.ts';
import { cellBadge, expectedText, observedText, profileVersions, STATE_LEGEND, UNEXPECTED_MARK } from './cell-label.ts';
import { attackSeverity, cellFixes } from './attack-advice.ts';
import { cellStory } from './evidence-text.ts';
import { depthMarkdownSection } from './depth-markdown.ts';
import { LAB_NOTE } from './json-report.ts';
import { isFailedProfileCell, type ReportModel } from './report-model.ts';
import { scoredStates, scoreText, STATE_LABELS } from './state-labels.ts';
import { sceneMarkdownSection } from './scene-self-test-report.ts';

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
  const total = Object.values(model.counts).reduce((sum, value) => sum + value, 0);
  const unexpected = model.unexpected.length;
  return `**${total} cells:** ${scoreText(model.counts)} — **${unexpected} unexpected**${unexpected > 0 ? ` ${UNEXPECTED_MARK}` : ''}`;
}

/** One banner per failed profile, at the top: its reason once, instead of in each of its rows. */
function failureBanners(model: ReportModel): string[] {
  const lines: string[] = [];
  for (const profile of model.profiles) {
    const errors = model.profileErrors.get(profile.id) ?? [];
    if (errors.length === 0) continue;
    const cells = model.results.cells.filter((cell) => cell.profileId === profile.id && isFailedProfileCell(cell, errors)).length;
    lines.push('> [!CAUTION]', `> **Profile \`${markdownCell(profile.id)}\` failed** — ${cells} cell(s) could not run; they say "see banner" below.`);
    for (const error of errors) lines.push('>', `> ${markdownCell(error.component)} (${markdownCell(error.at)}): ${markdownCell(error.message)}`);
    lines.push('');
  }
  return lines;
}

function matrixTable(model: ReportModel): string[] {
  const columnCounts = model.profiles.map((profile) => model.countsByProfile.get(profile.id)).filter((counts) => counts !== undefined);
  const states = scoredStates(...columnCounts);
  const lines = [
    `| attack | ${model.profiles.map(profileHeader).join(' | ')} |`,
    `|---|${model.profiles.map(() => '---').join('|')}|`,
    `| **score** <sub>${markdownCell(states.map((state) => STATE_LABELS[state].label).join(' · '))}</sub> | ${columnCounts.map((counts) => `**${states.map((state) => counts[state]).join(' · ')}**`).join(' | ')} |`,
  ];
  const blanks = model.profiles.map(() => ' ').join('|');
  for (const group of model.families) {
    lines.push(`| **${group.family}** |${blanks}|`);
    for (const row of group.rows) {
      const cells = row.cells.map((cell) => markdownCell(cellBadge(cell, isFailedProfileCell(cell, model.profileErrors.get(cell?.profileId ?? '')))));
      lines.push(`| ${markdownCell(`${row.attack.id} ${row.attack.title}`)} | ${cells.join(' | ')} |`);
    }
  }
  return lines;
}

/** Every ALLOWED cell with what would close it: one row per attack and set of stacks that share the same fixes. */
function fixesSection(model: ReportModel): string[] {
  const rows: string[] = [];
  for (const group of model.families) {
    for (const row of group.rows) {
      const byFixes = new Map<string, string[]>();
      row.cells.forEach((cell, index) => {
        const profile = model.profiles[index];
        if (profile === undefined) return;
        const fixes = cellFixes(cell, profile);
        if (fixes.length === 0) return;
        const text = fixes.map((fix) => `**${fix.layer}** — ${markdownCell(fix.feature)}: ${markdownCell(fix.policy)} ([${markdownCell(fix.source.title)}](${fix.source.url}))`).join('<br>');
        byFixes.set(text, [...(byFixes.get(text) ?? []), profile.id]);
      });
      const severity = attackSeverity(row.attack.id);
      for (const [text, profiles] of byFixes) {
        rows.push(`| ${severity === undefined ? '—' : markdownCell(`${severity.level}: ${severity.reason}`)} | ${markdownCell(`${row.attack.id} ${row.attack.title}`)} | ${markdownCell(profiles.join(', '))} | ${text} |`);
      }
    }
  }
  if (rows.length === 0) return [];
  return ['## How to close the ALLOWED cells', '', '| severity | attack | stacks | fix (layer — feature: policy, source) |', '|---|---|---|---|', ...rows, ''];
}

function unexpectedSection(model: ReportModel): string[] {
  const cells = model.unexpectedOutsideBanners;
  const bannered = model.unexpected.length - cells.length;
  const bannerNote = bannered > 0 ? [`${bannered} more unexpected cell(s) belong to failed profiles: see the banner at the top.`] : [];
  if (cells.length === 0) return ['## Unexpected cells', '', ...(bannered > 0 ? bannerNote : ['None: every observation matched its expectation.'])];
  const lines = [
    `## Unexpected cells (${model.unexpected.length})`,
    '',
    ...(bannered > 0 ? [...bannerNote, ''] : []),
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
  const lines: string[] = ['# breachmatrix — which layer stops each attack', '', ...failureBanners(model)];
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
    ...fixesSection(model),
    ...depthMarkdownSection(model.profiles.map((profile) => profile.id), results.cells, markdownCell),
    ...unexpectedSection(model),
  );
  const scene = sceneMarkdownSection(
    model.profiles.flatMap((profile) => {
      const test = model.sceneTests.get(profile.id);
      return test === undefined ? [] : [{ id: profile.id, sceneSelfTest: test }];
    }),
    markdownCell,
  );
  if (scene.length > 0) lines.push('', ...scene);
  return `${lines.join('\n')}\n`;
}
