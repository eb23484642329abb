import { describe, expect, it } from 'vitest';
import { InfrastructureError } from '../domain/errors.ts';
import { convergenceBarrier, pollUntilDenied, pollUntilVerdict, type ProbeVerdict } from './convergence-barrier.ts';
import { VirtualTime } from './testing/virtual-time.ts';

/** One scripted probe: its verdict (or a throw) and how long it takes on the virtual clock. */
interface Step {
  readonly verdict: ProbeVerdict | Error;
  readonly ms?: number;
}

/** Probes that answer from a script on a virtual clock, recording when each started and ended and how many overlap. */
function scriptedProbes(time: VirtualTime, script: readonly Step[]) {
  let index = 0;
  const log = { starts: [] as number[], ends: [] as number[], running: 0, mostRunning: 0 };
  const probe = (): Promise<ProbeVerdict> => {
    const step = script[Math.min(index, script.length - 1)] ?? { verdict: 'allowed' };
    index += 1;
    log.starts.push(time.now());
    log.running += 1;
    log.mostRunning = Math.max(log.mostRunning, log.running);
    return time.resolveAfter(step.ms ?? 0, () => {
      log.running -= 1;
      log.ends.push(time.now());
      if (step.verdict instanceof Error) throw step.verdict;
      return step.verdict;
    });
  };
  return { probe, log };
}

const denied = (ms = 0): Step => ({ verdict: 'denied', ms });
const allowed = (ms = 0): Step => ({ verdict: 'allowed', ms });

describe('convergence barrier', () => {
  function barrier(script: readonly Step[], options: { signal?: AbortSignal; apply?: () => void } = {}) {
    const time = new VirtualTime();
    const events: string[] = [];
    const { probe, log } = scriptedProbes(time, script);
    const run = time.run(
      convergenceBarrier(
        async () => {
          const verdict = await probe();
          events.push(`${verdict}@${log.starts[log.starts.length - 1] ?? '?'}`);
          return verdict;
        },
        async () => {
          events.push('apply');
          options.apply?.();
        },
        { now: time.now, sleep: time.sleep, timeoutMs: 10_000, intervalMs: 1_000, ...(options.signal ? { signal: options.signal } : {}) },
      ),
    );
    return { run, events, log };
  }

  it('passes once the canary turns from allowed to denied twice in a row after the policies, probes spaced by the interval', async () => {
    const h = barrier([allowed(), allowed(), allowed(), denied(), denied()]);
    expect(await h.run).toEqual({ probes: 4, elapsedMs: 3_000 });
    expect(h.events).toEqual(['allowed@0', 'apply', 'allowed@0', 'allowed@1000', 'denied@2000', 'denied@3000']);
  });

  it('a flap back to allowed resets the count', async () => {
    const h = barrier([allowed(), denied(), allowed(), denied(), denied()]);
    expect((await h.run).probes).toBe(4);
  });

  it('fails, naming the last verdict, when the policies never take effect within the timeout', async () => {
    const h = barrier([allowed()]);
    const error: unknown = await h.run.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InfrastructureError);
    expect(String(error)).toMatch(/not enforced after 10000 ms: the canary probe was still allowed \(11 probes\)/);
  });

  it('refuses to start when the canary is already denied before the policies (that denial would prove nothing)', async () => {
    const h = barrier([denied()]);
    await expect(h.run).rejects.toThrow(/denied before any policy is applied/);
    expect(h.events).toEqual(['denied@0']);
  });

  it('stops when interrupted', async () => {
    const controller = new AbortController();
    const h = barrier([allowed()], { signal: controller.signal, apply: () => controller.abort() });
    await expect(h.run).rejects.toThrow(/interrupted/);
  });
});

describe('pollUntilVerdict (pipelined)', () => {
  const options = (time: VirtualTime) => ({ now: time.now, sleep: time.sleep, intervalMs: 1_000, timeoutMs: 10_000 });

  it('two slow denials converge in one interval plus one probe, not two probes back to back', async () => {
    const time = new VirtualTime();
    const { probe, log } = scriptedProbes(time, [denied(4_000)]);
    const poll = await time.run(pollUntilDenied(probe, options(time)));
    expect(poll).toEqual({ outcome: 'converged', probes: 2, elapsedMs: 5_000, lastVerdict: 'denied' });
    // No third probe: the two running could complete the streak by themselves, and it would have to be waited for.
    expect(log.starts).toEqual([0, 1_000]);
    expect(time.now()).toBe(5_000);
  });

  it('counts in start order: a later probe that finishes first waits for an earlier allowed one, which resets the streak', async () => {
    const time = new VirtualTime();
    // Probe 0 is still allowed but slow; probe 1 is denied and finishes long before it.
    const { probe, log } = scriptedProbes(time, [allowed(4_000), denied(100), denied(100)]);
    const progress: string[] = [];
    const poll = await time.run(pollUntilDenied(probe, { ...options(time), onProgress: (line) => progress.push(`${time.now()} ${line}`) }));
    expect(log.starts).toEqual([0, 1_000, 4_000]);
    expect(log.ends).toEqual([1_100, 4_000, 4_100]);
    // Nothing is counted before probe 0 ends at 4 s; then 0 (allowed, streak reset) and 1 (denied) in start order.
    expect(progress).toEqual([
      '4000 waiting for policies: probe allowed, 0 of 2 denied in a row (4 s)',
      '4000 waiting for policies: probe denied, 1 of 2 denied in a row (4 s)',
    ]);
    expect(poll).toEqual({ outcome: 'converged', probes: 3, elapsedMs: 4_100, lastVerdict: 'denied' });
  });

  it('a late denial started before an allowed probe does not join a denial started after it', async () => {
    const time = new VirtualTime();
    // By end time: 1 allowed (1.1 s), 2 denied (2.1 s), 0 denied (4 s) — two denials in a row, wrongly.
    const { probe, log } = scriptedProbes(time, [denied(4_000), allowed(100), denied(100), denied(4_000)]);
    const poll = await time.run(pollUntilDenied(probe, options(time)));
    // By start order: 0 denied, 1 allowed, 2 denied, 3 denied — converged only when probe 3 ends.
    expect(log.starts).toEqual([0, 1_000, 2_000, 3_000]);
    expect(poll).toEqual({ outcome: 'converged', probes: 4, elapsedMs: 7_000, lastVerdict: 'denied' });
  });

  it('never has more than `requiredDenials` probes in flight, nor more than one start per interval', async () => {
    const time = new VirtualTime();
    const { probe, log } = scriptedProbes(time, [allowed(4_000)]);
    const poll = await time.run(pollUntilDenied(probe, { ...options(time), requiredDenials: 3 }));
    expect(log.mostRunning).toBe(3);
    for (let index = 1; index < log.starts.length; index += 1) expect((log.starts[index] ?? 0) - (log.starts[index - 1] ?? 0)).toBeGreaterThanOrEqual(1_000);
    expect(poll.outcome).toBe('timed-out');
  });

  it('one probe at a time when one verdict suffices (the admission check creates pods)', async () => {
    const time = new VirtualTime();
    const { probe, log } = scriptedProbes(time, [allowed(3_000), allowed(3_000), denied(3_000)]);
    const poll = await time.run(pollUntilDenied(probe, { ...options(time), requiredDenials: 1 }));
    expect(log.starts).toEqual([0, 3_000, 6_000]);
    expect(poll).toEqual({ outcome: 'converged', probes: 3, elapsedMs: 9_000, lastVerdict: 'denied' });
  });

  it('times out when the flow stays allowed; no probe starts after the deadline, the ones started before it are counted', async () => {
    const time = new VirtualTime();
    const { probe, log } = scriptedProbes(time, [allowed(4_000)]);
    const poll = await time.run(pollUntilDenied(probe, options(time)));
    expect(log.starts).toEqual([0, 1_000, 4_000, 5_000, 8_000, 9_000]);
    expect(poll).toEqual({ outcome: 'timed-out', probes: 6, elapsedMs: 13_000, lastVerdict: 'allowed' });
    expect(log.running).toBe(0);
  });

  it('reports a fast flow that stays allowed as timed out instead of throwing', async () => {
    const time = new VirtualTime();
    const { probe } = scriptedProbes(time, [allowed()]);
    const poll = await time.run(pollUntilDenied(probe, { ...options(time), timeoutMs: 3_000 }));
    expect(poll).toMatchObject({ outcome: 'timed-out', probes: 4, lastVerdict: 'allowed' });
  });

  it('polls for `allowed` as well (a deleted policy), with the same streak rule', async () => {
    const time = new VirtualTime();
    const { probe } = scriptedProbes(time, [denied(4_000), allowed(100), allowed(100)]);
    const poll = await time.run(pollUntilVerdict(probe, 'allowed', options(time)));
    expect(poll).toEqual({ outcome: 'converged', probes: 3, elapsedMs: 4_100, lastVerdict: 'allowed' });
  });

  it('when interrupted during a sleep, stops at once and starts nothing more', async () => {
    const time = new VirtualTime();
    const controller = new AbortController();
    time.after(1_500, () => controller.abort());
    const { probe, log } = scriptedProbes(time, [allowed()]);
    const poll = await time.run(pollUntilDenied(probe, { ...options(time), signal: controller.signal }));
    expect(poll).toEqual({ outcome: 'interrupted', probes: 2, elapsedMs: 1_500, lastVerdict: 'allowed' });
    expect(log.starts).toEqual([0, 1_000]);
  });

  it('when interrupted with probes in flight, waits for them before returning and starts nothing more', async () => {
    const time = new VirtualTime();
    const controller = new AbortController();
    time.after(2_500, () => controller.abort());
    const { probe, log } = scriptedProbes(time, [allowed(4_000)]);
    const poll = await time.run(pollUntilDenied(probe, { ...options(time), signal: controller.signal }));
    expect(poll).toMatchObject({ outcome: 'interrupted', probes: 1, lastVerdict: 'allowed' });
    expect(log.starts).toEqual([0, 1_000]);
    expect(log.running).toBe(0);
    expect(time.now()).toBe(5_000);
  });

  it('starts no probe that the running ones make needless: it converges on its newest probe, none left running', async () => {
    const time = new VirtualTime();
    // 0 allowed; 1 denied but slow; 2 denied fast. At 3 s, 1 and 2 may complete the streak: no probe 3.
    const { probe, log } = scriptedProbes(time, [allowed(100), denied(4_000), denied(100), allowed(4_000)]);
    const poll = await time.run(pollUntilDenied(probe, options(time)));
    expect(log.starts).toEqual([0, 1_000, 2_000]);
    expect(poll).toEqual({ outcome: 'converged', probes: 3, elapsedMs: 5_000, lastVerdict: 'denied' });
    expect(log.running).toBe(0);
  });

  it('a probe that throws propagates, in start order, once no probe is running', async () => {
    const time = new VirtualTime();
    const broken = new Error('the probe itself failed');
    const { probe, log } = scriptedProbes(time, [denied(4_000), { verdict: broken, ms: 100 }]);
    const error: unknown = await time.run(pollUntilDenied(probe, options(time))).catch((caught: unknown) => caught);
    expect(error).toBe(broken);
    expect(log.running).toBe(0);
    expect(time.now()).toBe(4_000);
  });

  it('a probe that throws at once propagates', async () => {
    const time = new VirtualTime();
    const broken = new Error('no exec');
    await expect(time.run(pollUntilDenied(() => { throw broken; }, options(time)))).rejects.toBe(broken);
  });
});
