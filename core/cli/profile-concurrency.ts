import { freemem } from 'node:os';
import type { ProviderName } from '../domain/profile.ts';

/** Rough memory a kind profile needs (control plane + 2 workers, CNI, Istio with small footprint). */
const KIND_PROFILE_BYTES = 6 * 1024 ** 3;

/**
 * Lab stacks are namespaces and a few processes: run them all at once. kind clusters are heavy: one at a time
 * under 16 GiB free, else as many as fit at ~6 GiB each (documented in the README).
 */
export function defaultProfileConcurrency(provider: ProviderName, profiles: number, freeBytes: number = freemem()): number {
  if (provider === 'lab') return Math.max(1, profiles);
  if (freeBytes < 16 * 1024 ** 3) return 1;
  return Math.max(1, Math.min(profiles, Math.floor(freeBytes / KIND_PROFILE_BYTES)));
}
