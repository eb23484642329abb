import { freemem } from 'node:os';
import { estimateFor, type ResourceEstimates } from '../config/estimates.ts';
import type { Profile, ProviderName } from '../domain/profile.ts';

/**
 * Attacks at once per profile when `--concurrency` is not given. A lab attack mostly waits (a connect timeout, the
 * sink's settle time), so the lab runs many at once; on kind each attack is pods on a shared API server. The lab's
 * verdicts are measured the same at `--concurrency 1` and `64` (`npm run determinism`).
 */
export const DEFAULT_ATTACK_CONCURRENCY: Readonly<Record<ProviderName, number>> = { lab: 32, kind: 8, kubeconfig: 8 };

/** Below this much free memory kind profiles run one at a time, whatever their estimates (headroom for the host). */
const ONE_AT_A_TIME_BELOW_BYTES = 16 * 1024 ** 3;

/**
 * Lab stacks are namespaces and a few processes: run them all at once. kind clusters are heavy: one at a time
 * under 16 GiB free, else as many as fit at the heaviest selected profile's memory estimate
 * (clusters/estimates.yaml, the figure `doctor` checks; documented in the README).
 */
export function defaultProfileConcurrency(
  provider: ProviderName,
  profiles: readonly Profile[],
  estimates: ResourceEstimates,
  freeBytes: number = freemem(),
): number {
  if (provider === 'lab') return Math.max(1, profiles.length);
  if (freeBytes < ONE_AT_A_TIME_BELOW_BYTES) return 1;
  const heaviest = Math.max(1, ...profiles.map((profile) => estimateFor(profile, estimates).memoryBytes));
  return Math.max(1, Math.min(profiles.length, Math.floor(freeBytes / heaviest)));
}
