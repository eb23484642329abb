import { describe, expect, it } from 'vitest';
import { SAMPLE_KIND, SAMPLE_LAB, jsonl, testCell, testHeader, testProfile } from './fixtures/samples.ts';
import { mergeResults } from './merge-results.ts';
import { parseResultsText, readResults } from './read-results.ts';
import { reportFailureReasons } from './report-gate.ts';
import { buildReportModel } from './report-model.ts';

describe('report --fail-on', () => {
  it('fails on unexpected and error cells only when asked', async () => {
    const model = buildReportModel(await readResults([SAMPLE_LAB, SAMPLE_KIND]));
    expect(reportFailureReasons(model, [])).toEqual([]);
    expect(reportFailureReasons(model, ['unexpected'])).toEqual(['3 unexpected cell(s)']);
    expect(reportFailureReasons(model, ['error'])).toEqual(['1 error cell(s)']);
    expect(reportFailureReasons(model, ['missing'])).toEqual([]);
    expect(reportFailureReasons(model, ['any'])).toEqual(['3 unexpected cell(s)', '1 error cell(s)']);
  });

  it('counts a header profile × attack without a cell line as missing, per profile', () => {
    const profiles = [testProfile('cilium'), testProfile('calico', { cni: 'calico' })];
    const file = parseResultsText(jsonl([testHeader('r', profiles, ['EG1', 'EG2', 'EG3']), { type: 'cell', cell: testCell('r', 'cilium', 'EG1') }]), 'r.jsonl');
    const model = buildReportModel(mergeResults([file]));
    expect(reportFailureReasons(model, ['unexpected', 'error'])).toEqual([]);
    expect(reportFailureReasons(model, ['missing'])).toEqual(['5 missing cell(s) (in a run header, no cell line) — cilium: 2, calico: 3']);
  });
});
