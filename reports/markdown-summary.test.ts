import { describe, expect, it } from 'vitest';
import { LONG_FAILURE, SAMPLE_KIND, SAMPLE_LAB, failedProfileResults, jsonl, testCell, testHeader, testProfile } from './fixtures/samples.ts';
import { markdownCell, renderMarkdownSummary } from './markdown-summary.ts';
import { mergeResults } from './merge-results.ts';
import { parseResultsText, readResults } from './read-results.ts';
import { buildReportModel } from './report-model.ts';

/** Columns of a Markdown table row, splitting on pipes that are not escaped. */
function columns(row: string): string[] {
  return row.trim().slice(1, -1).split(/(?<!\\)\|/).map((cell) => cell.trim());
}

describe('summary.md', () => {
  it('renders the matrix with one row per family and attack and one column per profile', async () => {
    const markdown = renderMarkdownSummary(buildReportModel(await readResults([SAMPLE_LAB, SAMPLE_KIND])));
    const lines = markdown.split('\n');
    const start = lines.findIndex((line) => line.startsWith('| attack |'));
    const table = lines.slice(start, lines.indexOf('', start));
    // header, separator, score row, 6 family rows, 11 attack rows
    expect(table).toHaveLength(3 + 6 + 11);
    expect(columns(table[2] ?? '')[0]).toBe('**score** <sub>blocked · allowed · inconclusive · n/a · error</sub>');
    for (const row of table) expect(columns(row)).toHaveLength(4);
    const byAttack = new Map(table.map((row) => [columns(row)[0]?.split(' ')[0], columns(row)]));
    expect(byAttack.get('SC1')?.slice(1)).toEqual(['⚠️ ALLOWED', '✅ cni (confirmed)', '✅ cni (confirmed)']);
    expect(byAttack.get('EG7')?.[2]).toBe('🟡 cni (inferred)');
    expect(byAttack.get('SC5')?.[2]).toBe('❗ ⚠️ ALLOWED');
    expect(byAttack.get('LM4')?.[3]).toBe('❗ ❔ inconclusive');
    expect(byAttack.get('SC2')?.[3]).toBe('➖ n/a');
    expect(byAttack.get('EG2')?.[3]).toBe('❗ 💥 error');
    expect(columns(table[0] ?? '')[3]).toContain('cilium v1.18.2');
  });

  it('lists every ALLOWED cell with its severity and the fixes that would close it, each with its source', async () => {
    const model = buildReportModel(await readResults([SAMPLE_LAB, SAMPLE_KIND]));
    const lines = renderMarkdownSummary(model).split('\n');
    const start = lines.indexOf('## How to close the ALLOWED cells');
    expect(start).toBeGreaterThan(0);
    const table = lines.slice(start + 2, lines.indexOf('', start + 2));
    expect(columns(table[0] ?? '')).toEqual(['severity', 'attack', 'stacks', 'fix (layer — feature: policy, source)']);
    const rows = table.slice(2).map(columns);
    const covered = rows.flatMap((row) => (row[2] ?? '').split(', ').map((profile) => `${(row[1] ?? '').split(' ')[0]} ${profile}`)).sort();
    const allowed = model.results.cells.filter((cell) => cell.outcome === 'allowed').map((cell) => `${cell.attackId} ${cell.profileId}`).sort();
    expect(covered).toEqual(allowed);
    const sc1 = rows.find((row) => row[1]?.startsWith('SC1 '));
    expect(sc1?.[0]).toMatch(/^high: /);
    expect(sc1?.[3]).toContain('**admission** — ValidatingAdmissionPolicy');
    expect(sc1?.[3]).toContain('1337');
    expect(sc1?.[3]).toContain('(https://kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/)');
  });

  it('says that lab columns are the lab model, and lists unexpected cells with their source', async () => {
    const markdown = renderMarkdownSummary(buildReportModel(await readResults([SAMPLE_LAB, SAMPLE_KIND])));
    expect(markdown).toContain("> **Lab provider** (🧪 `lab:sidecar`, `lab:netpol+sidecar`): Columns from the lab provider describe the lab's model of each layer");
    expect(markdown).toContain('## Unexpected cells (3)');
    expect(markdown).toContain(
      '| lab:netpol+sidecar | SC5 UDP and ICMP are not captured | blocked by cni, timeout (documented) | allowed — the sink received the canary over ICMP; UDP was dropped | NetworkPolicy default-deny egress covers every protocol |',
    );
    expect(markdown).toContain('control: FAILED (timeout) frontend could not reach 10.96.0.1:443');
    expect(markdown).toContain('### Legend');
  });

  it('has no lab note for kind-only results and says when nothing was unexpected', async () => {
    const file = parseResultsText(
      jsonl([testHeader('r', [testProfile('cilium')], ['EG1']), { type: 'cell', cell: testCell('r', 'cilium', 'EG1') }]),
      'r.jsonl',
    );
    const markdown = renderMarkdownSummary(buildReportModel(mergeResults([file])));
    expect(markdown).not.toContain('Lab provider');
    expect(markdown).toContain('None: every observation matched its expectation.');
    expect(markdown).toContain('> The run was interrupted');
    expect(markdown).toContain('| EG1 attack EG1 |');
  });

  it('escapes table-breaking text', () => {
    expect(markdownCell('a | b\n<c> & d')).toBe('a \\| b &lt;c&gt; &amp; d');
  });

  it('shows a failed profile as one banner at the top, its cells say "see banner", its reason appears once', () => {
    const markdown = renderMarkdownSummary(buildReportModel(mergeResults([parseResultsText(failedProfileResults(), 'r.jsonl')])));
    const lines = markdown.split('\n');
    const banner = lines.findIndex((line) => line.includes('**Profile `broken` failed**'));
    expect(banner).toBeGreaterThan(0);
    expect(banner).toBeLessThan(lines.findIndex((line) => line.startsWith('| attack |')));
    expect(lines[banner - 1]).toBe('> [!CAUTION]');
    expect(markdown.split(LONG_FAILURE.slice(0, 80)).length - 1).toBe(1);
    expect(lines[banner]).toContain('2 cell(s) could not run');
    const rows = lines.filter((line) => line.startsWith('| EG'));
    for (const row of rows) expect(columns(row)[2]).toBe('❗ 💥 error — see banner');
    // Only the good profile's surprise is in the table; the failed profile's cells point at the banner.
    expect(markdown).toContain('## Unexpected cells (3)');
    expect(markdown).toContain('2 more unexpected cell(s) belong to failed profiles: see the banner at the top.');
    expect(lines.filter((line) => line.startsWith('| good |'))).toHaveLength(1);
    expect(markdown).not.toContain('| broken |');
  });

  it('has a score row per stack and marks 0 unexpected without the alarm sign', () => {
    const file = parseResultsText(jsonl([testHeader('r', [testProfile('cilium')], ['EG1', 'EG2']), { type: 'cell', cell: testCell('r', 'cilium', 'EG1') }, { type: 'cell', cell: testCell('r', 'cilium', 'EG2', { outcome: 'not-applicable', blockedBy: undefined, confidence: undefined }) }]), 'r.jsonl');
    const markdown = renderMarkdownSummary(buildReportModel(mergeResults([file])));
    expect(markdown).toContain('**2 cells:** 1 blocked · 0 allowed · 0 inconclusive · 1 n/a · 0 error — **0 unexpected**\n');
    expect(markdown).not.toContain('**0 unexpected** ❗');
    expect(markdown).toContain('| **score** <sub>blocked · allowed · inconclusive · n/a · error</sub> | **1 · 0 · 0 · 1 · 0** |');
  });
});
