import { setTimeout as delay } from 'node:timers/promises';
import { InfrastructureError } from '../domain/errors.ts';
import { TIMEOUTS } from '../timeouts.ts';

/** What one canary probe saw: the canary flow got through, or something stopped it. */
export type ProbeVerdict = 'allowed' | 'denied';

export interface ConvergenceOptions {
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
  /**
   * Consecutive probes (in start order) with the goal verdict needed, one flap resets the count: policies land node
   * by node. Also the most probes in flight at once.
   */
  readonly requiredDenials?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (line: string) => void;
  /** Injected for tests; default: real time. The poll aborts `signal` when it no longer needs the sleep. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly now?: () => number;
}

export interface ConvergenceResult {
  /** Probes whose verdict was counted: the first `probes` started (one still running when the poll ended is not). */
  readonly probes: number;
  /** Until the outcome was known. */
  readonly elapsedMs: number;
}

/** How a poll for a denial ended: converged (denied `requiredDenials` times in a row), timed out or interrupted. */
export interface DenialPoll extends ConvergenceResult {
  readonly outcome: 'converged' | 'timed-out' | 'interrupted';
  readonly lastVerdict: ProbeVerdict | undefined;
}

/**
 * Probe until the flow is denied `requiredDenials` times in a row, or the timeout passes. Never throws for a
 * flow that stays allowed: the caller records it (the scene self-test) or turns it into an error (the barrier).
 */
export function pollUntilDenied(probe: () => Promise<ProbeVerdict>, options: ConvergenceOptions = {}): Promise<DenialPoll> {
  return pollUntilVerdict(probe, 'denied', options);
}

/**
 * Probe until the flow shows `goal` `requiredDenials` times in a row (one flap resets the count), or the timeout
 * passes. `allowed` is the goal when a policy was deleted: its removal lands node by node too (depth passes).
 *
 * Pipelined: probe k starts one interval after probe k-1 started, not after it finished, so a denial that costs the
 * whole request timeout does not push the next start back; at most `required` probes run at once, and a new one
 * only while those already started could not complete the streak by themselves. Verdicts are counted strictly in
 * start order: a later-started probe that finishes first waits for the ones before it.
 * Why "N in a row" still means what it says: every counted probe started after the policies were applied (callers
 * poll only then), each with its own fresh canary; N in a row is N consecutive starts, spaced by the interval, all
 * showing the goal; an earlier-started probe that still shows the other verdict resets the count however late it
 * finishes. The Kubernetes netpol e2e, too, probes in parallel (three workers) and retries a failed matrix once
 * (ProbePodToPodConnectivity in https://github.com/kubernetes/kubernetes/blob/054d429d9f8bc8de4fc82e6cf2281e12a13fe1f2/test/e2e/network/netpol/probe.go,
 * ValidateOrFail in https://github.com/kubernetes/kubernetes/blob/05c351a9037bd79bf88c56171a951c3097b658da/test/e2e/network/netpol/test_helper.go).
 * No probe outlives the poll: it waits for those still running before it returns or throws.
 */
export async function pollUntilVerdict(probe: () => Promise<ProbeVerdict>, goal: ProbeVerdict, options: ConvergenceOptions = {}): Promise<DenialPoll> {
  const timeoutMs = options.timeoutMs ?? TIMEOUTS.convergenceMs;
  const intervalMs = options.intervalMs ?? TIMEOUTS.convergenceProbeIntervalMs;
  const required = options.requiredDenials ?? 2;
  const maxInFlight = Math.max(1, required);
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number, signal: AbortSignal): Promise<void> => delay(ms, undefined, { signal }));
  const started = now();
  const deadline = started + timeoutMs;
  /** Settled outcomes by start index; `undefined` while that probe runs. */
  const outcomes: (ProbeOutcome | undefined)[] = [];
  const running = new Set<Promise<void>>();
  let lastStart: number | undefined;
  let probes = 0;
  let streak = 0;
  let lastVerdict: ProbeVerdict | undefined;
  /** Waits for every probe still running (its verdict is not counted): no exec outlives the poll, nor its pod. */
  const settle = (): Promise<unknown> => Promise.all(running);
  /** The poll's result, as of now; returned once the probes still running have ended. */
  const end = async (outcome: DenialPoll['outcome']): Promise<DenialPoll> => {
    const result: DenialPoll = { outcome, probes, elapsedMs: now() - started, lastVerdict };
    await settle();
    return result;
  };
  /**
   * The streak the probes already started would reach if every running one showed the goal. A new probe starts only
   * while it is short of `required`: else that probe could not matter unless one before it flaps, and the poll would
   * have to wait for it anyway. So the poll converges on its newest probe, with none left running.
   */
  const reachableStreak = (): number => {
    let reach = 0;
    for (let index = outcomes.length - 1; index >= probes; index -= 1) {
      const outcome = outcomes[index];
      if (outcome !== undefined && ('error' in outcome || outcome.verdict !== goal)) return reach;
      reach += 1;
    }
    return reach + streak;
  };
  const launch = (): void => {
    const index = outcomes.length;
    outcomes.push(undefined);
    lastStart = now();
    const run: Promise<void> = new Promise<ProbeVerdict>((resolve) => resolve(probe())).then(
      (verdict) => { outcomes[index] = { verdict }; },
      (error: unknown) => { outcomes[index] = { error }; },
    ).finally(() => running.delete(run));
    running.add(run);
  };
  for (;;) {
    // Count, in start order, every probe whose predecessors are all counted.
    for (let next = outcomes[probes]; next !== undefined; next = outcomes[probes]) {
      if ('error' in next) {
        await settle();
        throw next.error;
      }
      probes += 1;
      lastVerdict = next.verdict;
      streak = lastVerdict === goal ? streak + 1 : 0;
      if (streak >= required) return end('converged');
      options.onProgress?.(`waiting for policies: probe ${lastVerdict}, ${streak} of ${required} ${goal} in a row (${Math.round((now() - started) / 1000)} s)`);
    }
    if (options.signal?.aborted) return end('interrupted');
    const time = now();
    // The interval spaces probe starts: a probe that took a request timeout has already waited. None starts after the deadline.
    const startAt = lastStart === undefined ? time : Math.min(lastStart + intervalMs, deadline);
    const mayStart = running.size < maxInFlight && reachableStreak() < required && time <= deadline && (lastStart === undefined || lastStart < deadline);
    if (mayStart && time >= startAt) {
      launch();
      continue;
    }
    if (!mayStart && running.size === 0) return end('timed-out');
    const wake = new AbortController();
    const waits: Promise<unknown>[] = [...running];
    if (mayStart) waits.push(sleepUntil(sleep, startAt - time, wake.signal, options.signal));
    try {
      await Promise.race(waits);
    } catch (error) {
      await settle();
      throw error;
    } finally {
      wake.abort();
    }
  }
}

type ProbeOutcome = { readonly verdict: ProbeVerdict } | { readonly error: unknown };

/** Sleeps `ms`, ending early (without error) when `wake` or the caller's signal aborts. */
async function sleepUntil(sleep: NonNullable<ConvergenceOptions['sleep']>, ms: number, wake: AbortSignal, signal: AbortSignal | undefined): Promise<void> {
  const either = signal === undefined ? wake : AbortSignal.any([wake, signal]);
  try {
    await sleep(ms, either);
  } catch (error) {
    if (!either.aborted) throw error;
  }
}

/**
 * The convergence barrier: attacks start only once the policies are enforced, proven rather than assumed.
 * The canary flow must be allowed before the policies (else a later denial proves nothing) and turn denied
 * after them, `requiredDenials` times in a row, within the named timeout. No fixed sleep stands in for it.
 */
export async function convergenceBarrier(
  probe: () => Promise<ProbeVerdict>,
  applyPolicies: () => Promise<void>,
  options: ConvergenceOptions = {},
): Promise<ConvergenceResult> {
  if ((await probe()) !== 'allowed') {
    throw new InfrastructureError('convergence', 'the canary probe is denied before any policy is applied; the barrier cannot tell when policies take effect');
  }
  await applyPolicies();
  const poll = await pollUntilDenied(probe, options);
  if (poll.outcome === 'interrupted') throw new InfrastructureError('convergence', 'interrupted while waiting for policies to take effect');
  if (poll.outcome === 'timed-out') {
    throw new InfrastructureError(
      'convergence',
      `policies not enforced after ${options.timeoutMs ?? TIMEOUTS.convergenceMs} ms: the canary probe was still ${poll.lastVerdict ?? 'unprobed'} (${poll.probes} probes)`,
    );
  }
  return { probes: poll.probes, elapsedMs: poll.elapsedMs };
}
