import { describe, expect, it } from 'vitest';
import { BadInputError } from '../core/domain/errors.ts';
import { jsonl, testCell, testHeader, testProfile } from './fixtures/samples.ts';
import { mergeResults } from './merge-results.ts';
import { parseResultsText } from './read-results.ts';

const later = { startedAt: '2025-11-23T02:01:00.000Z', finishedAt: '2025-11-23T02:01:03.000Z', controlMs: 1, attemptMs: 1, evidenceMs: 1 };

describe('mergeResults', () => {
  it('unions profiles and attacks; an overlapping cell from a complete run beats a later one from an interrupted run', () => {
    const a = parseResultsText(
      jsonl([
        testHeader('a', [testProfile('cilium')], ['EG1', 'EG2']),
        { type: 'cell', cell: testCell('a', 'cilium', 'EG1') },
        { type: 'cell', cell: testCell('a', 'cilium', 'EG2') },
        { type: 'end', runId: 'a', finishedAt: '2025-11-22T02:05:00.000Z', interrupted: false },
      ]),
      'a.jsonl',
    );
    // A later re-run of cilium/EG1 and a new profile; no end line (interrupted).
    const b = parseResultsText(
      jsonl([
        testHeader('b', [testProfile('cilium'), testProfile('calico', { cni: 'calico', mesh: 'none' })], ['EG1', 'EG3']),
        { type: 'cell', cell: testCell('b', 'cilium', 'EG1', { outcome: 'allowed', timings: later }) },
        { type: 'cell', cell: testCell('b', 'calico', 'EG3', { timings: later }) },
      ]),
      'b.jsonl',
    );
    const merged = mergeResults([a, b]);
    expect(merged.profiles.map((profile) => profile.id)).toEqual(['cilium', 'calico']);
    expect(merged.attacks.map((attack) => attack.id)).toEqual(['EG1', 'EG2', 'EG3']);
    expect(merged.cells).toHaveLength(3);
    const eg1 = merged.cells.find((cell) => cell.attackId === 'EG1');
    expect(eg1?.runId).toBe('a');
    expect(eg1?.outcome).toBe('blocked');
    expect(merged.warnings).toEqual([
      '1 overlapping cell(s) kept from a.jsonl (run a, complete) over b.jsonl (run b, interrupted) (rule: a complete run wins over an interrupted one, then the later finish): cilium/EG1',
    ]);
    expect(merged.interrupted).toBe(true);
    expect(merged.runs.map((run) => [run.runId, run.interrupted])).toEqual([['a', false], ['b', true]]);
    expect(merged.startedAt).toBe('2025-11-22T02:00:00.000Z');
    expect(merged.finishedAt).toBe('2025-11-23T02:01:03.000Z');

    // Order of files does not change the rule.
    const reversed = mergeResults([b, a]);
    expect(reversed.cells.find((cell) => cell.attackId === 'EG1')?.runId).toBe('a');
    expect(reversed.warnings).toEqual(merged.warnings);
  });

  it('between two complete runs keeps the later finish, whatever the file order, and lists every overlap', () => {
    const run = (id: string, timings?: typeof later) =>
      parseResultsText(
        jsonl([
          testHeader(id, [testProfile('cilium')], ['EG1', 'EG2']),
          { type: 'cell', cell: testCell(id, 'cilium', 'EG1', timings === undefined ? {} : { timings }) },
          { type: 'cell', cell: testCell(id, 'cilium', 'EG2', timings === undefined ? {} : { timings }) },
          { type: 'end', runId: id, finishedAt: '2025-11-23T03:00:00.000Z', interrupted: false },
        ]),
        `${id}.jsonl`,
      );
    for (const files of [[run('old'), run('new', later)], [run('new', later), run('old')]]) {
      const merged = mergeResults(files);
      expect(merged.cells.map((cell) => cell.runId)).toEqual(['new', 'new']);
      expect(merged.warnings).toEqual([
        '2 overlapping cell(s) kept from new.jsonl (run new, complete) over old.jsonl (run old, complete) (rule: a complete run wins over an interrupted one, then the later finish): cilium/EG1, cilium/EG2',
      ]);
    }
  });

  it('warns about nothing when the files do not overlap', () => {
    const a = parseResultsText(jsonl([testHeader('a', [testProfile('cilium')], ['EG1']), { type: 'cell', cell: testCell('a', 'cilium', 'EG1') }]), 'a.jsonl');
    const b = parseResultsText(jsonl([testHeader('b', [testProfile('calico', { cni: 'calico' })], ['EG1']), { type: 'cell', cell: testCell('b', 'calico', 'EG1') }]), 'b.jsonl');
    expect(mergeResults([a, b]).warnings).toEqual([]);
  });

  it('refuses a profile id that means different stacks in two files', () => {
    const a = parseResultsText(jsonl([testHeader('a', [testProfile('x')], ['EG1'])]), 'a.jsonl');
    const b = parseResultsText(jsonl([testHeader('b', [testProfile('x', { cni: 'calico' })], ['EG1'])]), 'b.jsonl');
    expect(() => mergeResults([a, b])).toThrow(BadInputError);
    expect(() => mergeResults([a, b])).toThrow(/b\.jsonl: run\.profiles: profile "x" is calico\+istio-ambient here/);
  });
});
