import { describe, expect, it } from 'vitest';
import { InfrastructureError } from '../domain/errors.ts';
import { convergenceBarrier, pollUntilDenied, type ProbeVerdict } from './convergence-barrier.ts';

/** A fake clock the barrier's sleeps advance, and a probe that answers from a script. */
function harness(script: readonly ProbeVerdict[]) {
  let clock = 0;
  let index = 0;
  const events: string[] = [];
  return {
    events,
    probe: async (): Promise<ProbeVerdict> => {
      const verdict = script[Math.min(index, script.length - 1)] ?? 'allowed';
      index += 1;
      events.push(`probe:${verdict}`);
      return verdict;
    },
    apply: async (): Promise<void> => {
      events.push('apply');
    },
    options: {
      now: (): number => clock,
      sleep: async (ms: number): Promise<void> => {
        events.push(`sleep:${ms}`);
        clock += ms;
      },
      timeoutMs: 10_000,
      intervalMs: 1_000,
    },
  };
}

describe('convergence barrier', () => {
  it('passes once the canary turns from allowed to denied twice in a row after the policies', async () => {
    const h = harness(['allowed', 'allowed', 'allowed', 'denied', 'denied']);
    const result = await convergenceBarrier(h.probe, h.apply, h.options);
    expect(h.events).toEqual(['probe:allowed', 'apply', 'probe:allowed', 'sleep:1000', 'probe:allowed', 'sleep:1000', 'probe:denied', 'sleep:1000', 'probe:denied']);
    expect(result).toEqual({ probes: 4, elapsedMs: 3_000 });
  });

  it('a flap back to allowed resets the count', async () => {
    const h = harness(['allowed', 'denied', 'allowed', 'denied', 'denied']);
    const result = await convergenceBarrier(h.probe, h.apply, h.options);
    expect(result.probes).toBe(4);
  });

  it('fails, naming the last verdict, when the policies never take effect within the timeout', async () => {
    const h = harness(['allowed']);
    const attempt = convergenceBarrier(h.probe, h.apply, h.options);
    await expect(attempt).rejects.toBeInstanceOf(InfrastructureError);
    await expect(convergenceBarrier(h.probe, h.apply, h.options)).rejects.toThrow(/not enforced after 10000 ms: the canary probe was still allowed \(11 probes\)/);
  });

  it('refuses to start when the canary is already denied before the policies (that denial would prove nothing)', async () => {
    const h = harness(['denied']);
    await expect(convergenceBarrier(h.probe, h.apply, h.options)).rejects.toThrow(/denied before any policy is applied/);
    expect(h.events).toEqual(['probe:denied']);
  });

  it('stops when interrupted', async () => {
    const controller = new AbortController();
    const h = harness(['allowed']);
    const attempt = convergenceBarrier(h.probe, async () => controller.abort(), { ...h.options, signal: controller.signal });
    await expect(attempt).rejects.toThrow(/interrupted/);
  });
});

describe('pollUntilDenied', () => {
  it('spaces probe starts by the interval: a probe that took a timeout is not followed by a full sleep', async () => {
    let clock = 0;
    const sleeps: number[] = [];
    const verdicts: ProbeVerdict[] = ['allowed', 'denied', 'denied'];
    const poll = await pollUntilDenied(
      async () => {
        const verdict = verdicts.shift() ?? 'denied';
        clock += verdict === 'denied' ? 2_000 : 300; // a silent drop costs the connect timeout
        return verdict;
      },
      { now: () => clock, sleep: async (ms) => { sleeps.push(ms); clock += ms; }, intervalMs: 1_000, timeoutMs: 10_000 },
    );
    expect(poll).toMatchObject({ outcome: 'converged', probes: 3, lastVerdict: 'denied' });
    expect(sleeps).toEqual([700]);
  });

  it('reports a flow that stays allowed as timed out instead of throwing', async () => {
    let clock = 0;
    const poll = await pollUntilDenied(async () => 'allowed', { now: () => clock, sleep: async (ms) => { clock += ms; }, intervalMs: 1_000, timeoutMs: 3_000 });
    expect(poll).toMatchObject({ outcome: 'timed-out', probes: 4, lastVerdict: 'allowed' });
  });
});
