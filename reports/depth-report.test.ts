import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import type { Cell } from '../core/domain/cell.ts';
import { depthOf, type DepthLayer } from '../core/domain/depth.ts';
import { compareCells } from './diff-results.ts';
import { jsonl, testCell, testHeader, testProfile } from './fixtures/samples.ts';
import { renderHtmlReport } from './html-report.ts';
import { buildJsonReport, renderJsonReport } from './json-report.ts';
import { renderMarkdownSummary } from './markdown-summary.ts';
import { mergeResults } from './merge-results.ts';
import { parseResultsText } from './read-results.ts';
import { buildReportModel } from './report-model.ts';

const addFormats = addFormatsModule.default;

const pass = (policies: DepthLayer['policies'], outcome: 'blocked' | 'allowed' | 'error', blockedBy?: DepthLayer['blockedBy']): DepthLayer => ({
  policies,
  layer: policies === 'cni' ? 'cni' : 'mesh-sidecar',
  outcome,
  ...(blockedBy ? { blockedBy, confidence: 'confirmed' as const } : {}),
  evidence: blockedBy ? [{ layer: blockedBy, source: blockedBy === 'cni' ? 'nft-counter' : 'envoy-access-log', verdict: 'denied', raw: `${policies}-only pass record` }] : [],
  stops: outcome === 'blocked' && (blockedBy === 'cni' ? policies === 'cni' : policies === 'mesh'),
});

const profile = testProfile('lab:netpol+sidecar', { cni: 'kindnet', mesh: 'istio-sidecar', isLab: true, provider: 'lab', versions: { kubernetes: 'lab' } });
const deep = testCell('r', profile.id, 'SC8', { depth: depthOf([pass('cni', 'blocked', 'cni'), pass('mesh', 'blocked', 'mesh-sidecar')]) });
const single = testCell('r', profile.id, 'SC1', { depth: depthOf([pass('cni', 'blocked', 'cni'), pass('mesh', 'allowed')]) });
const unmeasured = testCell('r', profile.id, 'EG1', { depth: depthOf([pass('cni', 'blocked', 'cni'), pass('mesh', 'error')]) });

function results(cells: readonly Cell[]) {
  return mergeResults([parseResultsText(jsonl([testHeader('r', [profile], cells.map((cell) => cell.attackId)), ...cells.map((cell) => ({ type: 'cell' as const, cell }))]), 'r.jsonl')]);
}

describe('depth in the reports', () => {
  const model = buildReportModel(results([deep, single, unmeasured]));
  const report = buildJsonReport(model, { harnessVersion: '0.1.0' });

  it('report.json: each cell keeps its depth, the stack its mean depth, the run its single points of failure; the schema validates', async () => {
    const schema = JSON.parse(await readFile(new URL('./report.schema.json', import.meta.url), 'utf8')) as object;
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    addFormats(ajv);
    const validate = ajv.compile(schema);
    const parsed = JSON.parse(renderJsonReport(report)) as unknown;
    expect(validate(parsed), JSON.stringify(validate.errors)).toBe(true);
    expect(report.profiles[0]?.depth).toEqual({ cells: 3, measured: 2, mean: 1.5, singlePointsOfFailure: 1, zeroDepthBlocked: 0 });
    expect(report.singlePointsOfFailure).toEqual([{ profileId: profile.id, attackId: 'SC1', title: 'attack SC1', policies: 'cni', layer: 'cni' }]);
    const row = report.matrix.flatMap((family) => family.rows).find((candidate) => candidate.attackId === 'EG1');
    expect(row?.cells[profile.id]?.depth).toMatchObject({ atLeast: 1, incomplete: 'mesh-only pass error' });
  });

  it('summary.md lists the single points of failure and the mean depth', () => {
    const summary = renderMarkdownSummary(model);
    expect(summary).toContain('### Single points of failure (1)');
    expect(summary).toContain('- **SC1** attack SC1 — on `lab:netpol+sidecar`, only the cni policies (cni) stop it');
    expect(summary).toContain('| lab:netpol+sidecar | 1.50 | 2 of 3 | 1 | 0 |');
  });

  it('report.html shows a depth badge per cell and the list', () => {
    const html = renderHtmlReport(report);
    expect(html).toMatch(/<span class="depth d-2"[^>]*data-depth="2"[^>]*>depth 2<\/span>/);
    expect(html).toMatch(/<span class="depth d-1"[^>]*>depth 1<\/span>/);
    expect(html).toMatch(/<span class="depth d-incomplete"[^>]*>depth ≥1\?<\/span>/);
    expect(html).toContain('<section class="depth-view" id="depth">');
    expect(html).toMatch(/<li data-profile="lab:netpol\+sidecar" data-attack="SC1"><strong>SC1<\/strong> attack SC1 — on lab:netpol\+sidecar, only the cni policies \(cni\) stop it<\/li>/);
  });

  it('report.html in headless Chromium: a click on a cell lists each pass with its own evidence', async () => {
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
    try {
      const file = join(await mkdtemp(join(tmpdir(), 'bm-depth-html-')), 'report.html');
      await writeFile(file, renderHtmlReport(report));
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(pathToFileURL(file).href);
      await page.locator('td.cell[data-attack="SC1"]').click();
      expect(await page.locator('#details h3', { hasText: 'Depth' }).textContent()).toBe('Depth: 1 — a single point of failure');
      const passes = await page.locator('#details ul.depth-list > li').allTextContents();
      expect(passes).toHaveLength(2);
      expect(passes[0]).toContain('only the cni policies: blocked by cni (confirmed) — stops it alone');
      expect(passes[0]).toContain('cni-only pass record');
      expect(passes[1]).toContain('only the mesh policies: allowed');
      await page.locator('td.cell[data-attack="EG1"]').click();
      expect(await page.locator('#details h3', { hasText: 'Depth' }).textContent()).toBe('Depth: incomplete (at least 1): mesh-only pass error');
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it('a stack without depth gets no depth view', () => {
    const plain = buildJsonReport(buildReportModel(results([testCell('r', profile.id, 'SC8')])), { harnessVersion: '0.1.0' });
    expect(plain.singlePointsOfFailure).toBeUndefined();
    expect(renderHtmlReport(plain)).not.toContain('<section class="depth-view"');
    expect(renderMarkdownSummary(buildReportModel(results([testCell('r', profile.id, 'SC8')])))).not.toContain('Single points of failure');
  });

  it('rejects a depth entry it does not model when reading results', () => {
    const bad = { ...deep, depth: { layers: [{ ...pass('cni', 'blocked', 'cni'), policies: 'firewall' }], count: 1 } } as unknown as Cell;
    expect(() => results([bad])).toThrow(/policies/);
  });
});

describe('diff: depth lost is worse', () => {
  it.each([
    ['depth 2 → 1', deep, single, 'worse'],
    ['depth 2 → incomplete', deep, unmeasured, 'worse'],
    ['depth measured → not measured', deep, testCell('r', profile.id, 'SC8'), 'worse'],
    ['depth 1 → 2', single, deep, 'better'],
    ['incomplete → 1', unmeasured, single, 'changed'],
    ['only new has depth', testCell('r', profile.id, 'SC8'), deep, 'same'],
    ['same depth', deep, deep, 'same'],
  ] as const)('%s', (_name, before, after, kind) => {
    expect(compareCells(before, after).kind).toBe(kind);
  });

  it('says which groups no longer stop it alone', () => {
    expect(compareCells(deep, single).reasons).toEqual(['depth 2 → 1 (depth lost: cni+mesh → cni)']);
  });

  it('a sideways move (same count, another group) is a change', () => {
    const meshOnly = testCell('r', profile.id, 'SC1', { depth: depthOf([pass('cni', 'allowed'), pass('mesh', 'blocked', 'mesh-sidecar')]) });
    expect(compareCells(single, meshOnly)).toEqual({ kind: 'changed', reasons: ['depth 1, stopped alone by cni → mesh (sideways)'] });
  });
});
