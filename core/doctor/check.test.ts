import { describe, expect, it } from 'vitest';
import { allPassed, fail, ok, runChecks, type Check } from './check.ts';
import { renderCheckJson, renderCheckLines } from './render-checks.ts';

const passing: Check = { id: 'x.pass', title: 'passes', run: async () => ok('fine') };
const failing: Check = { id: 'x.fail', title: 'fails', run: async () => fail('broken', 'mend it') };
const throwing: Check = {
  id: 'x.throw',
  title: 'throws',
  run: async () => {
    throw new Error('probe exploded');
  },
};

describe('runChecks', () => {
  it('keeps the order and turns a check that throws into a failure, never a pass', async () => {
    const outcomes = await runChecks([passing, throwing, failing]);
    expect(outcomes.map((outcome) => [outcome.id, outcome.status])).toEqual([
      ['x.pass', 'ok'],
      ['x.throw', 'fail'],
      ['x.fail', 'fail'],
    ]);
    expect(outcomes[1]?.detail).toBe('the check itself failed: probe exploded');
    expect(allPassed(outcomes)).toBe(false);
    expect(allPassed(await runChecks([passing]))).toBe(true);
  });

  it('runs the checks at once: a check waiting for a later one to start is not held behind it', async () => {
    let laterStarted: () => void = () => {};
    const started = new Promise<void>((resolve) => {
      laterStarted = resolve;
    });
    const waiting: Check = {
      id: 'x.waits',
      title: 'waits for the later check',
      run: async () => {
        const seen = await Promise.race([started.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 5_000))]);
        return seen ? ok('the later check had started') : fail('ran alone', 'run checks concurrently');
      },
    };
    const later: Check = {
      id: 'x.later',
      title: 'later',
      run: async () => {
        laterStarted();
        return ok('started');
      },
    };
    const outcomes = await runChecks([waiting, later]);
    expect(outcomes.map((outcome) => [outcome.id, outcome.status])).toEqual([
      ['x.waits', 'ok'],
      ['x.later', 'ok'],
    ]);
  });

  it('prints ok/FAIL lines with the fix under each failure, and JSON for CI', async () => {
    const outcomes = await runChecks([passing, failing]);
    expect(renderCheckLines(outcomes)).toEqual(['ok    passes: fine', 'FAIL  fails: broken', '      fix: mend it']);
    expect(JSON.parse(renderCheckJson({ provider: 'lab', passed: false, checks: outcomes }))).toEqual({
      provider: 'lab',
      passed: false,
      checks: [
        { id: 'x.pass', title: 'passes', status: 'ok', detail: 'fine' },
        { id: 'x.fail', title: 'fails', status: 'fail', detail: 'broken', fix: 'mend it' },
      ],
    });
  });
});
