import { setTimeout as delay } from 'node:timers/promises';
import { InfrastructureError } from '../../core/domain/errors.ts';
import { TIMEOUTS } from '../../core/timeouts.ts';

/** What one canary probe saw: the canary flow got through, or something stopped it. */
export type ProbeVerdict = 'allowed' | 'denied';

export interface ConvergenceOptions {
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
  /** Consecutive denials needed (one flap back to allowed resets the count): policies land node by node. */
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
  const timeoutMs = options.timeoutMs ?? TIMEOUTS.convergenceMs;
  const intervalMs = options.intervalMs ?? TIMEOUTS.convergenceProbeIntervalMs;
  const required = options.requiredDenials ?? 2;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number): Promise<void> => delay(ms, undefined, options.signal ? { signal: options.signal } : {}));

  if ((await probe()) !== 'allowed') {
    throw new InfrastructureError('convergence', 'the canary probe is denied before any policy is applied; the barrier cannot tell when policies take effect');
  }
  await applyPolicies();
  const started = now();
  let probes = 0;
  let denials = 0;
  for (;;) {
    if (options.signal?.aborted) throw new InfrastructureError('convergence', 'interrupted while waiting for policies to take effect');
    probes += 1;
    const verdict = await probe();
    denials = verdict === 'denied' ? denials + 1 : 0;
    if (denials >= required) return { probes, elapsedMs: now() - started };
    const elapsed = now() - started;
    if (elapsed >= timeoutMs) {
      throw new InfrastructureError(
        'convergence',
        `policies not enforced after ${timeoutMs} ms: the canary probe was still ${verdict} (${probes} probes)`,
      );
    }
    options.onProgress?.(`waiting for policies: canary ${verdict} (${Math.round(elapsed / 1000)} s)`);
    await sleep(Math.min(intervalMs, timeoutMs - elapsed));
  }
}
