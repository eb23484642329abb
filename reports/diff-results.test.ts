import { describe, expect, it } from 'vitest';
import type { Cell } from '../core/domain/cell.ts';
import { BadInputError } from '../core/domain/errors.ts';
import { readFile } from 'node:fs/promises';
import { compareCells, diffResults, failureReasons, renderDiffMarkdown, renderDiffText, shouldFail, stackKey, type ResultsDiff } from './diff-results.ts';
import { SAMPLE_KIND, SAMPLE_KIND_NEXT, SAMPLE_LAB, jsonl, testCell, testHeader, testProfile } from './fixtures/samples.ts';
import { mergeResults } from './merge-results.ts';
import { parseResultsText, readResults } from './read-results.ts';

const cell = (overrides: Partial<Cell>): Cell => testCell('r', 'cilium', 'EG1', overrides);
const blocked = (blockedBy: Cell['blockedBy'], confidence: Cell['confidence'] = 'confirmed', signal: Cell['signal'] = 'timeout'): Cell => cell({ outcome: 'blocked', blockedBy, confidence, signal });
const other = (outcome: Cell['outcome']): Cell => cell({ outcome, blockedBy: undefined, confidence: undefined, signal: outcome === 'allowed' ? 'http-ok' : 'error' });

describe('compareCells', () => {
  it.each([
    ['blocked → allowed', blocked('cni'), other('allowed'), 'worse'],
    ['blocked → inconclusive', blocked('cni'), other('inconclusive'), 'worse'],
    ['blocked → error', blocked('mesh-sidecar'), other('error'), 'worse'],
    ['layer moves later on the path', blocked('cni'), blocked('mesh-ztunnel'), 'worse'],
    ['confirmed → inferred', blocked('cni'), blocked('cni', 'inferred'), 'worse'],
    ['earlier layer but only inferred (fail safe)', blocked('mesh-sidecar'), blocked('cni', 'inferred'), 'worse'],
    ['allowed → blocked', other('allowed'), blocked('cni'), 'better'],
    ['inconclusive → blocked', other('inconclusive'), blocked('cni'), 'better'],
    ['layer moves earlier on the path', blocked('mesh-waypoint'), blocked('cni'), 'better'],
    ['inferred → confirmed', blocked('cni', 'inferred'), blocked('cni'), 'better'],
    ['sideways: sidecar ↔ ztunnel', blocked('mesh-sidecar'), blocked('mesh-ztunnel'), 'changed'],
    ['sideways: api is not on the path', blocked('api'), blocked('cni'), 'changed'],
    ['same layer, other signal', blocked('mesh-ztunnel', 'confirmed', 'reset'), blocked('mesh-ztunnel', 'confirmed', 'refused'), 'changed'],
    ['allowed → error', other('allowed'), other('error'), 'changed'],
    ['blocked → not-applicable', blocked('cni'), other('not-applicable'), 'changed'],
    ['same', blocked('cni'), blocked('cni'), 'same'],
    ['allowed stays allowed', other('allowed'), other('allowed'), 'same'],
  ] as const)('%s', (_name, before, after, kind) => {
    expect(compareCells(before, after).kind).toBe(kind);
  });

  it('explains the classification', () => {
    expect(compareCells(blocked('cni'), blocked('mesh-ztunnel', 'inferred')).reasons).toEqual(['layer cni → mesh-ztunnel (later on the path)', 'confirmed → inferred']);
    expect(compareCells(blocked('cni'), other('allowed')).reasons).toEqual(['blocked → allowed']);
  });

  it('reports a moved expectation as a change even when the observation is the same', () => {
    const after = { ...blocked('cni'), expected: { outcome: 'allowed', certainty: 'documented', source: 'x' } } satisfies Cell;
    expect(compareCells(blocked('cni'), after)).toEqual({ kind: 'changed', reasons: ['expectation blocked by cni → allowed'] });
  });
});

describe('diffResults', () => {
  it('compares pinned and next of the same stack when matching by stack', async () => {
    const diff = diffResults(await readResults([SAMPLE_KIND]), await readResults([SAMPLE_KIND_NEXT]), { matchByStack: true });
    expect(diff.matchBy).toBe('stack');
    expect(diff.counts).toEqual({ worse: 1, missing: 0, better: 1, changed: 1, same: 8 });
    const byKind = (kind: string) => diff.entries.filter((entry) => entry.kind === kind).map((entry) => `${entry.attackId}: ${entry.reasons.join('; ')}`);
    expect(byKind('worse')).toEqual(['SC1: blocked → allowed']);
    expect(byKind('better')).toEqual(['LM4: inconclusive → blocked']);
    expect(byKind('changed')).toEqual(['EG2: error → allowed']);
    expect(diff.entries[0]).toMatchObject({ profileKey: 'cilium+istio-ambient', oldProfileId: 'cilium+istio-ambient', newProfileId: 'cilium+istio-ambient@next', presence: 'both' });
  });

  it('treats different ids as added (changed) and removed (missing) when matching by id', async () => {
    const diff = diffResults(await readResults([SAMPLE_KIND]), await readResults([SAMPLE_KIND_NEXT]));
    expect(diff.counts).toEqual({ worse: 0, missing: 11, better: 0, changed: 11, same: 0 });
    expect(diff.entries.filter((entry) => entry.presence === 'removed')).toHaveLength(11);
    expect(diff.entries.filter((entry) => entry.presence === 'added')).toHaveLength(11);
  });

  it('finds no difference between a run and itself', async () => {
    const results = await readResults([SAMPLE_LAB, SAMPLE_KIND]);
    const diff = diffResults(results, results);
    expect(diff.counts).toEqual({ worse: 0, missing: 0, better: 0, changed: 0, same: 33 });
    expect(shouldFail(diff, ['any'])).toBe(false);
    expect(renderDiffMarkdown(diff)).toContain('No differences.');
  });

  it('refuses two profiles of one stack when matching by stack', () => {
    const results = mergeResults([parseResultsText(jsonl([testHeader('r', [testProfile('cilium'), testProfile('cilium@next')], ['EG1'])]), 'r.jsonl')]);
    expect(() => diffResults(results, results, { matchByStack: true })).toThrow(BadInputError);
    expect(() => diffResults(results, results, { matchByStack: true })).toThrow(/"cilium" and "cilium@next" both match stack "cilium"/);
  });

  it('strips only a version-set suffix from stack keys', () => {
    expect(stackKey('cilium+istio-ambient@next')).toBe('cilium+istio-ambient');
    expect(stackKey('lab:netpol+sidecar')).toBe('lab:netpol+sidecar');
    // A hardened column never matches a baseline one, across version sets too.
    expect(stackKey('cilium+istio-ambient@next+hardened')).toBe('cilium+istio-ambient+hardened');
    expect(stackKey('lab:ambient+hardened')).toBe('lab:ambient+hardened');
  });
});

describe('shouldFail', () => {
  const diffWith = (counts: Omit<ResultsDiff['counts'], 'missing'>, newIncomplete: string[] = []): ResultsDiff => ({ matchBy: 'id', oldRuns: [], newRuns: [], entries: [], counts: { missing: 0, ...counts }, newIncomplete, oldIncomplete: [] });
  it('fails on worse by default, on changed or any when asked', () => {
    const worse = diffWith({ worse: 1, better: 0, changed: 0, same: 5 });
    const changed = diffWith({ worse: 0, better: 0, changed: 2, same: 5 });
    const better = diffWith({ worse: 0, better: 3, changed: 0, same: 5 });
    expect(shouldFail(worse)).toBe(true);
    expect(shouldFail(changed)).toBe(false);
    expect(shouldFail(changed, ['changed'])).toBe(true);
    expect(shouldFail(worse, ['changed'])).toBe(false);
    expect(shouldFail(better, ['worse', 'changed'])).toBe(false);
    expect(shouldFail(better, ['any'])).toBe(true);
    expect(shouldFail(better, [])).toBe(false);
  });
});

describe('diff renderers', () => {
  it('render worse, better and changed sections in text and Markdown', async () => {
    const diff = diffResults(await readResults([SAMPLE_KIND]), await readResults([SAMPLE_KIND_NEXT]), { matchByStack: true });
    const text = renderDiffText(diff);
    expect(text).toContain('worse 1 · missing 0 · better 1 · changed 1 · same 8');
    expect(text).toContain('WORSE (1)\n  cilium+istio-ambient → cilium+istio-ambient@next  SC1 Run as the proxy UID 1337 and call the sink: blocked by cni (confirmed) → allowed  [blocked → allowed]');
    expect(text).toContain('BETTER (1)\n  cilium+istio-ambient → cilium+istio-ambient@next  LM4 Stolen service-account token lists secrets: inconclusive → blocked by cni (confirmed)');
    const markdown = renderDiffMarkdown(diff);
    expect(markdown).toContain('## 🔻 worse (1)');
    expect(markdown).toContain('| cilium+istio-ambient → cilium+istio-ambient@next | SC1 Run as the proxy UID 1337 and call the sink | blocked by cni (confirmed) → allowed | blocked → allowed |');
    expect(markdown).toContain('## 🔁 changed (1)');
  });
});

describe('gates that fail closed', () => {
  /** The lab sample with only its header, the first `keep` cell lines, and (optionally) its end line. */
  async function partialLab(keep: number, end: 'kept' | 'dropped' | 'interrupted', extra: string[] = []): Promise<ReturnType<typeof mergeResults>> {
    const lines = (await readFile(SAMPLE_LAB, 'utf8')).trim().split('\n');
    const header = lines.filter((line) => line.includes('"type":"run"'));
    const cells = lines.filter((line) => line.includes('"type":"cell"')).slice(0, keep);
    const endLine = lines.filter((line) => line.includes('"type":"end"')).map((line) => (end === 'interrupted' ? line.replace('"interrupted":false', '"interrupted":true') : line));
    return mergeResults([parseResultsText(`${[...header, ...cells, ...extra, ...(end === 'dropped' ? [] : endLine)].join('\n')}\n`, 'new.jsonl')]);
  }

  it('counts a cell of OLD absent from NEW as missing and fails --fail-on worse (3 of 22 cells kept)', async () => {
    const diff = diffResults(await readResults([SAMPLE_LAB]), await partialLab(3, 'kept'));
    expect(diff.counts).toMatchObject({ missing: 19, same: 3, changed: 0 });
    expect(diff.entries.filter((entry) => entry.kind === 'missing').every((entry) => entry.presence === 'removed')).toBe(true);
    expect(failureReasons(diff, ['worse'])).toEqual(['19 cell(s) of old missing in new']);
    expect(shouldFail(diff, ['changed'])).toBe(true);
    expect(shouldFail(diff, [])).toBe(false);
    expect(renderDiffText(diff)).toContain('MISSING (19)');
  });

  it('fails --fail-on worse on a NEW run without an end line, or one that ended interrupted, naming why', async () => {
    const full = await readResults([SAMPLE_LAB]);
    const noEnd = diffResults(full, await partialLab(22, 'dropped'));
    expect(noEnd.counts).toMatchObject({ same: 22, missing: 0, worse: 0 });
    expect(failureReasons(noEnd)).toEqual(['new results are incomplete: run run-20251122T2300Z-lab (new.jsonl) has no end line: the process died or is still running']);
    expect(renderDiffText(noEnd)).toContain('NEW INCOMPLETE: run run-20251122T2300Z-lab (new.jsonl) has no end line');
    const interrupted = diffResults(full, await partialLab(22, 'interrupted'));
    expect(failureReasons(interrupted)).toEqual(['new results are incomplete: run run-20251122T2300Z-lab (new.jsonl) was interrupted']);
    // OLD being incomplete is reported but is not a reason to fail: it is the baseline being replaced.
    const reversed = diffResults(await partialLab(22, 'dropped'), full);
    expect(reversed.oldIncomplete).toHaveLength(1);
    expect(shouldFail(reversed)).toBe(false);
  });

  it('fails --fail-on worse on a NEW run with a failed profile, with its reason', async () => {
    const failure = JSON.stringify({ type: 'profile-error', runId: 'run-20251122T2300Z-lab', profileId: 'lab:sidecar', component: 'provisioning', message: 'haproxy exited 1', at: '2025-11-22T23:00:05.000Z' });
    const diff = diffResults(await readResults([SAMPLE_LAB]), await partialLab(22, 'kept', [failure]));
    expect(diff.counts.same).toBe(22);
    expect(failureReasons(diff)).toEqual(['new results are incomplete: profile lab:sidecar failed (run run-20251122T2300Z-lab): provisioning: haproxy exited 1']);
  });
});
