import { readFile } from 'node:fs/promises';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import type { SceneCheck, SceneSelfTestLine } from '../core/domain/scene-self-test.ts';
import { jsonl, testCell, testHeader, testProfile } from './fixtures/samples.ts';
import { renderHtmlReport } from './html-report.ts';
import { buildJsonReport } from './json-report.ts';
import { renderMarkdownSummary } from './markdown-summary.ts';
import { mergeResults } from './merge-results.ts';
import { parseResultsText } from './read-results.ts';
import { buildReportModel } from './report-model.ts';

const addFormats = addFormatsModule.default;

const ok: SceneCheck = { name: 'frontend → api:8080/http', kind: 'allowed-flow', expected: 'allowed 2×', observed: 'allowed, allowed', tries: 2, passed: true, detail: '' };
const mutated: SceneCheck = {
  name: 'read-back of every applied object',
  kind: 'read-back',
  expected: '40 objects, each containing every field sent',
  observed: '1 of 40 differ',
  tries: 1,
  passed: false,
  detail: 'NetworkPolicy bm-app/bm-api-ingress: spec.podSelector.matchLabels.app: sent "api", live "not-api"',
};

function scene(profileId: string, checks: readonly SceneCheck[]): SceneSelfTestLine {
  return { type: 'scene', runId: 'r1', profileId, checks, passed: checks.every((check) => check.passed), durationMs: 1234, at: '2025-11-22T02:01:00.000Z' };
}

function model(withScene: boolean) {
  const header = testHeader('r1', [testProfile('lab:netpol'), testProfile('lab:sidecar')], ['EG1']);
  const lines = [
    header,
    ...(withScene ? [scene('lab:netpol', [ok]), scene('lab:sidecar', [ok, mutated])] : []),
    { type: 'cell' as const, cell: testCell('r1', 'lab:netpol', 'EG1') },
    { type: 'end' as const, runId: 'r1', finishedAt: '2025-11-22T02:05:00.000Z', interrupted: false },
  ];
  return buildReportModel(mergeResults([parseResultsText(jsonl(lines), 'results.jsonl')]));
}

describe('scene self-test in the reports', () => {
  it('report.json carries each profile\'s table (optional field) and still validates against the schema', async () => {
    const report = buildJsonReport(model(true), { harnessVersion: '0.1.0', generatedAt: new Date('2025-11-22T03:00:00Z') });
    expect(report.profiles.map((profile) => profile.sceneSelfTest?.passed)).toEqual([true, false]);
    expect(report.profiles[1]?.sceneSelfTest?.checks).toEqual([ok, mutated]);
    const schema = JSON.parse(await readFile(new URL('./report.schema.json', import.meta.url), 'utf8')) as object;
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    addFormats(ajv);
    const validate = ajv.compile(schema);
    expect(validate(JSON.parse(JSON.stringify(report)))).toBe(true);
    expect(validate.errors ?? []).toEqual([]);
  });

  it('summary.md: one line per profile, the full table only for a failed self-test', () => {
    const text = renderMarkdownSummary(model(true));
    expect(text).toContain('- **lab:netpol** scene self-test: 1 check passed (1.2 s)');
    expect(text).toContain('- **lab:sidecar** scene self-test FAILED: 1 of 2 checks (1.2 s); the profile ran no attack');
    expect(text).toContain('### lab:sidecar: scene self-test');
    expect(text).not.toContain('### lab:netpol: scene self-test');
    expect(text).toContain('| ✖ read-back of every applied object | 40 objects, each containing every field sent | 1 of 40 differ | 1 | NetworkPolicy bm-app/bm-api-ingress: spec.podSelector.matchLabels.app: sent "api", live "not-api" |');
  });

  it('report.html: the same lines and the failed table', () => {
    const html = renderHtmlReport(buildJsonReport(model(true), { harnessVersion: '0.1.0' }));
    expect(html).toContain('<section id="scene-self-test">');
    expect(html).toContain('scene self-test FAILED: 1 of 2 checks');
    expect(html).toContain('<caption>lab:sidecar: scene self-test</caption>');
  });

  it('results without scene lines (older runs) render as before: no field, no section', () => {
    const report = buildJsonReport(model(false), { harnessVersion: '0.1.0' });
    expect(report.profiles.every((profile) => !('sceneSelfTest' in profile))).toBe(true);
    expect(renderMarkdownSummary(model(false))).not.toContain('Scene self-test');
  });

  it('a scene line for a profile the header does not list is refused', () => {
    const header = testHeader('r1', [testProfile('lab:netpol')], ['EG1']);
    expect(() => parseResultsText(jsonl([header, scene('lab:ghost', [ok])]), 'x.jsonl')).toThrow(/profile "lab:ghost" is not in the run header/);
  });

  it('a depth pass\'s self-test (a scene line with `pass`) is read and kept apart: it never stands for the profile\'s own', () => {
    const header = testHeader('r1', [testProfile('lab:netpol')], ['EG1']);
    const pass: SceneSelfTestLine = { ...scene('lab:netpol', [mutated]), pass: { policies: 'cni', phase: 'ablated', objects: ['AuthorizationPolicy bm-app/bm-api-allow'] }, at: '2025-11-22T02:02:00.000Z' };
    const lines = [header, scene('lab:netpol', [ok]), pass, { type: 'cell' as const, cell: testCell('r1', 'lab:netpol', 'EG1') }];
    const file = parseResultsText(jsonl(lines), 'results.jsonl');
    expect(file.sceneTests.map((line) => line.passed)).toEqual([true]);
    expect(file.passSceneTests).toEqual([pass]);
    const merged = mergeResults([file]);
    expect(merged.passSceneTests).toEqual([pass]);
    const report = buildJsonReport(buildReportModel(merged), { harnessVersion: '0.1.0' });
    expect(report.profiles[0]?.sceneSelfTest?.checks).toEqual([ok]);
    // The pass is validated like any line: an unknown phase is refused, naming the line.
    const bad = jsonl([header, JSON.parse(JSON.stringify(pass).replace('"ablated"', '"half-done"')) as SceneSelfTestLine]);
    expect(() => parseResultsText(bad, 'x.jsonl')).toThrow(/x\.jsonl:2/);
  });
});
