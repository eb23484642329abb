import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BadInputError } from '../core/domain/errors.ts';
import { SAMPLE_KIND, SAMPLE_LAB, jsonl, testCell, testHeader, testProfile } from './fixtures/samples.ts';
import { parseResultsText, readResults } from './read-results.ts';

const header = testHeader('r1', [testProfile('cilium')], ['EG1', 'EG2']);
const end = { type: 'end', runId: 'r1', finishedAt: '2025-11-22T02:05:00.000Z', interrupted: false } as const;

function badInput(fn: () => unknown): BadInputError {
  try {
    fn();
  } catch (error) {
    if (error instanceof BadInputError) return error;
    throw error;
  }
  throw new Error('expected a BadInputError');
}

/** Lines as JSON, untyped: what another harness version may have written. */
const rawJsonl = (lines: readonly unknown[]): string => `${lines.map((line) => JSON.stringify(line)).join('\n')}\n`;

describe('results schema versions', () => {
  it('reads version 1 (the fixtures) and version 2 with the attempt flow, the control path and matched fields', () => {
    const v1 = parseResultsText(jsonl([header, { type: 'cell', cell: testCell('r1', 'cilium', 'EG1') }, end]), 'v1.jsonl');
    expect(v1.cells[0]?.schemaVersion).toBe(1);
    const cell = {
      ...testCell('r1', 'cilium', 'EG1'),
      schemaVersion: 2,
      flow: { from: 'bm-app/bm-eg1-1 (10.244.1.5)', to: '198.51.100.10', port: 9000, protocol: 'tcp' },
      control: { kind: 'same-destination', from: 'bm-privileged/bm-eg1-ctl-1 (172.18.0.3)', to: '198.51.100.10', port: 9000, protocol: 'tcp', result: 'passed', passed: true, signal: 'connected', tries: 1 },
      evidence: [{ layer: 'cni', source: 'hubble', verdict: 'denied', raw: '{}', matched: ['source-ip', 'window'] }],
    };
    const v2 = parseResultsText(rawJsonl([{ ...header, schemaVersion: 2 }, { type: 'cell', cell }, end]), 'v2.jsonl');
    expect(v2.cells[0]?.control).toMatchObject({ kind: 'same-destination', result: 'passed', to: '198.51.100.10', port: 9000 });
    expect(v2.cells[0]?.flow?.from).toContain('bm-eg1-1');
    expect(v2.cells[0]?.evidence[0]?.matched).toEqual(['source-ip', 'window']);
  });

  it('refuses a version it does not know, and a control kind it does not model', () => {
    badInput(() => parseResultsText(rawJsonl([{ ...header, schemaVersion: 3 }, end]), 'v3.jsonl'));
    const cell = { ...testCell('r1', 'cilium', 'EG1'), schemaVersion: 2, control: { kind: 'dns-lookup', passed: true, signal: 'delivered' } };
    badInput(() => parseResultsText(rawJsonl([{ ...header, schemaVersion: 2 }, { type: 'cell', cell }, end]), 'bad.jsonl'));
  });
});

describe('parseResultsText', () => {
  it('reads the header, cells, profile errors and end line', () => {
    const text = jsonl([
      header,
      { type: 'cell', cell: testCell('r1', 'cilium', 'EG1') },
      { type: 'profile-error', runId: 'r1', profileId: 'cilium', component: 'cilium-agent', message: 'not ready after 600s', at: '2025-11-22T02:03:00.000Z' },
      end,
    ]);
    const file = parseResultsText(text, 'results.jsonl');
    expect(file.header.runId).toBe('r1');
    expect(file.cells.map((cell) => cell.attackId)).toEqual(['EG1']);
    expect(file.profileErrors).toHaveLength(1);
    expect(file.interrupted).toBe(false);
    expect(file.warnings).toEqual([]);
  });

  it('marks a run without an end line as interrupted', () => {
    const file = parseResultsText(jsonl([header, { type: 'cell', cell: testCell('r1', 'cilium', 'EG1') }]), 'r.jsonl');
    expect(file.interrupted).toBe(true);
    expect(file.end).toBeUndefined();
  });

  it('drops a torn last line of an interrupted run with a warning', () => {
    const whole = jsonl([header, { type: 'cell', cell: testCell('r1', 'cilium', 'EG1') }]);
    const torn = `${whole}{"type":"cell","cell":{"schemaVer`;
    const file = parseResultsText(torn, 'r.jsonl');
    expect(file.cells).toHaveLength(1);
    expect(file.interrupted).toBe(true);
    expect(file.warnings).toEqual(['r.jsonl:3: dropped a torn last line (the run was interrupted mid-write)']);
  });

  it('names the file and line of a line that is not JSON', () => {
    const text = `${JSON.stringify(header)}\nnot json\n${JSON.stringify(end)}\n`;
    const error = badInput(() => parseResultsText(text, 'results.jsonl'));
    expect(error.where).toBe('results.jsonl:2');
    expect(error.message).toMatch(/^results\.jsonl:2: not valid JSON/);
  });

  it('names the field of a cell that breaks the schema', () => {
    const cell = { ...testCell('r1', 'cilium', 'EG1'), outcome: 'sort-of-blocked' };
    const text = `${JSON.stringify(header)}\n${JSON.stringify({ type: 'cell', cell })}\n`;
    const error = badInput(() => parseResultsText(text, 'results.jsonl'));
    expect(error.where).toBe('results.jsonl:2: cell.outcome');
    expect(error.allowed).toContain('"inconclusive"');
  });

  it('says a header or a cell written by a newer (or older) breachmatrix, instead of a field error', () => {
    const newer = badInput(() => parseResultsText(jsonl([{ ...header, schemaVersion: 99 } as unknown as typeof header]), 'r.jsonl'));
    expect(newer.message).toBe('r.jsonl:1: schemaVersion: written by a newer breachmatrix (schema 99; this one reads 1 or 2) (allowed: schema 1 or 2; read it with the breachmatrix version that wrote it)');
    const cell = { ...testCell('r1', 'cilium', 'EG1'), schemaVersion: 0 } as unknown as ReturnType<typeof testCell>;
    const older = badInput(() => parseResultsText(jsonl([header, { type: 'cell', cell }]), 'r.jsonl'));
    expect(older.message).toContain('r.jsonl:2: cell.schemaVersion: written by an older breachmatrix (schema 0; this one reads 1 or 2)');
  });

  it('lists every schema problem of a line and never prints "undefined" for a value that was there', () => {
    const cell = { ...testCell('r1', 'cilium', 'EG1'), outcome: 'maybe', family: 'nope' } as unknown as ReturnType<typeof testCell>;
    const error = badInput(() => parseResultsText(jsonl([header, { type: 'cell', cell }]), 'r.jsonl'));
    expect(error.message).not.toMatch(/more problem|undefined/);
    expect(error.message).toMatch(/"nope" is not allowed .*; also cell\.outcome: "maybe" is not allowed/);
  });

  it('rejects an unknown line type, listing the known ones', () => {
    const text = `${JSON.stringify(header)}\n${JSON.stringify({ type: 'progress' })}\n`;
    const error = badInput(() => parseResultsText(text, 'x.jsonl'));
    expect(error.where).toBe('x.jsonl:2: type');
    expect(error.allowed).toBe('run, cell, profile-error, scene, end');
  });

  it('rejects cells before the header, of another run, or of an undeclared profile', () => {
    expect(badInput(() => parseResultsText(jsonl([{ type: 'cell', cell: testCell('r1', 'cilium', 'EG1') }]), 'a')).where).toBe('a:1');
    expect(badInput(() => parseResultsText(jsonl([header, { type: 'cell', cell: testCell('r2', 'cilium', 'EG1') }]), 'b')).where).toBe('b:2: runId');
    const undeclared = badInput(() => parseResultsText(jsonl([header, { type: 'cell', cell: testCell('r1', 'calico', 'EG1') }]), 'c'));
    expect(undeclared.where).toBe('c:2: cell.profileId');
    expect(undeclared.allowed).toBe('cilium');
    expect(badInput(() => parseResultsText(jsonl([header, end, { type: 'cell', cell: testCell('r1', 'cilium', 'EG1') }]), 'd')).where).toBe('d:3');
  });

  it('rejects an empty file and a second header', () => {
    expect(badInput(() => parseResultsText('\n', 'empty.jsonl')).where).toBe('empty.jsonl');
    expect(badInput(() => parseResultsText(jsonl([header, header]), 'two.jsonl')).where).toBe('two.jsonl:2');
  });
});

describe('readResults', () => {
  it('reads and merges the committed samples', async () => {
    const results = await readResults([SAMPLE_LAB, SAMPLE_KIND]);
    expect(results.profiles.map((profile) => profile.id)).toEqual(['lab:sidecar', 'lab:netpol+sidecar', 'cilium+istio-ambient']);
    expect(results.attacks).toHaveLength(11);
    expect(results.cells).toHaveLength(33);
    expect(results.providers).toEqual(['lab', 'kind']);
    expect(results.interrupted).toBe(false);
  });

  it('reports a missing file as bad input naming it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bm-read-'));
    const missing = join(dir, 'nope.jsonl');
    await expect(readResults([missing])).rejects.toThrow(BadInputError);
    await expect(readResults([missing])).rejects.toThrow(missing);
    await writeFile(join(dir, 'ok.jsonl'), jsonl([header, end]));
    await expect(readResults([join(dir, 'ok.jsonl')])).resolves.toMatchObject({ cells: [], interrupted: false });
  });

  it('needs at least one file', async () => {
    await expect(readResults([])).rejects.toThrow(BadInputError);
  });
});
