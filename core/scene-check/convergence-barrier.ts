import { setTimeout as delay } from 'node:timers/promises';
import { InfrastructureError } from '../domain/errors.ts';
import { TIMEOUTS } from '../timeouts.ts';

/** What one canary probe saw: the canary flow got through, or something stopped it. */
export type ProbeVerdict = 'allowed' | 'denied';

export interface ConvergenceOptions {
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
  /** Consecutive probes with the goal verdict needed (one flap resets the count): policies land node by node. */
  readonly requiredDenials?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (line: string) => void;
  /** Injected for tests; default: real time. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

export interface ConvergenceResult {
  readonly probes: number;
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
 */
export async function pollUntilVerdict(probe: () => Promise<ProbeVerdict>, goal: ProbeVerdict, options: ConvergenceOptions = {}): Promise<DenialPoll> {
  const timeoutMs = options.timeoutMs ?? TIMEOUTS.convergenceMs;
  const intervalMs = options.intervalMs ?? TIMEOUTS.convergenceProbeIntervalMs;
  const required = options.requiredDenials ?? 2;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number): Promise<void> => delay(ms, undefined, options.signal ? { signal: options.signal } : {}));
  const started = now();
  let probes = 0;
  let streak = 0;
  let lastVerdict: ProbeVerdict | undefined;
  for (;;) {
    if (options.signal?.aborted) return { outcome: 'interrupted', probes, elapsedMs: now() - started, lastVerdict };
    probes += 1;
    const probeStarted = now();
    lastVerdict = await probe();
    streak = lastVerdict === goal ? streak + 1 : 0;
    if (streak >= required) return { outcome: 'converged', probes, elapsedMs: now() - started, lastVerdict };
    const elapsed = now() - started;
    if (elapsed >= timeoutMs) return { outcome: 'timed-out', probes, elapsedMs: elapsed, lastVerdict };
    options.onProgress?.(`waiting for policies: probe ${lastVerdict}, ${streak} of ${required} ${goal} in a row (${Math.round(elapsed / 1000)} s)`);
    try {
      // The interval spaces probe starts: a probe that took a connect timeout has already waited.
      const wait = Math.min(intervalMs - (now() - probeStarted), timeoutMs - elapsed);
      if (wait > 0) await sleep(wait);
    } catch (error) {
      if (options.signal?.aborted) return { outcome: 'interrupted', probes, elapsedMs: now() - started, lastVerdict };
      throw error;
    }
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
