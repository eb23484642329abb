import { readFile } from 'node:fs/promises';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import type { Cell } from '../core/domain/cell.ts';
import { compareCells } from './diff-results.ts';
import { jsonl, testCell, testHeader, testProfile } from './fixtures/samples.ts';
import { renderHtmlReport } from './html-report.ts';
import { buildJsonReport, renderJsonReport } from './json-report.ts';
import { renderJunitReport } from './junit-report.ts';
import { renderMarkdownSummary } from './markdown-summary.ts';
import { mergeResults } from './merge-results.ts';
import { parseResultsText } from './read-results.ts';
import { buildReportModel } from './report-model.ts';

const addFormats = addFormatsModule.default;

/** An attempt the interrupt cut short: recorded, not measured. Its expectation was a block it never saw. */
const notRun: Cell = testCell('r1', 'p', 'A2', {
  outcome: 'not-run',
  signal: undefined,
  blockedBy: undefined,
  confidence: undefined,
  control: undefined,
  evidence: [],
  asExpected: false,
  reason: 'interrupted while in flight; the attempt ended as error: infrastructure: ip exit 128',
});

function model() {
  const text = jsonl([testHeader('r1', [testProfile('p')], ['A1', 'A2', 'A3']), { type: 'cell', cell: testCell('r1', 'p', 'A1') }, { type: 'cell', cell: notRun }, { type: 'end', runId: 'r1', finishedAt: '2025-11-22T02:02:00.000Z', interrupted: true }]);
  return buildReportModel(mergeResults([parseResultsText(text, 'results.jsonl')]));
}

describe('a not-run cell in every report', () => {
  it('is read from results.jsonl, counted as not-run and never as unexpected', () => {
    const report = model();
    expect(report.counts).toMatchObject({ blocked: 1, 'not-run': 1, missing: 1, error: 0 });
    expect(report.unexpected).toEqual([]);
  });

  it('validates against report.schema.json (outcome and counts)', async () => {
    const schema = JSON.parse(await readFile(new URL('./report.schema.json', import.meta.url), 'utf8')) as object;
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    addFormats(ajv);
    const validate = ajv.compile(schema);
    const json = JSON.parse(renderJsonReport(buildJsonReport(model(), { harnessVersion: '0.1.0' }))) as unknown;
    expect(validate(json), JSON.stringify(validate.errors)).toBe(true);
  });

  it('is a skipped JUnit case (neither failure nor error), with the reason', () => {
    const xml = renderJunitReport(model());
    const testcase = /<testcase[^>]*name="A2 attack A2"[^>]*>([\s\S]*?)<\/testcase>/.exec(xml)?.[1] ?? '';
    expect(testcase).toContain('<skipped');
    expect(testcase).not.toMatch(/<failure|<error/);
    expect(testcase).toContain('interrupted while in flight');
  });

  it('reads "interrupted" in the summary and the HTML page, without the unexpected mark', () => {
    const markdown = renderMarkdownSummary(model());
    expect(markdown).toContain('| A2 attack A2 | ⏸ interrupted |');
    expect(markdown).toContain('**0 unexpected**');
    expect(markdown).toContain('1 interrupted');
    const html = renderHtmlReport(buildJsonReport(model(), { harnessVersion: '0.1.0' }));
    const cell = /<td class="([^"]*)"[^>]*data-attack="A2"[^>]*>(.*?)<\/td>/.exec(html);
    expect(cell?.[1]).toBe('cell s-not-run');
    expect(cell?.[2]).toContain('interrupted');
  });

  it('diff: a block that became not-run is worse (no verdict), never "same" or "better"', () => {
    expect(compareCells(testCell('o', 'p', 'A1'), { ...notRun, attackId: 'A1' }).kind).toBe('worse');
    expect(compareCells({ ...notRun, attackId: 'A1' }, testCell('n', 'p', 'A1')).kind).toBe('better');
  });
});
