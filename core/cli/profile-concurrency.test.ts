import { describe, expect, it } from 'vitest';
import { estimateFor, loadEstimates, type ResourceEstimates } from '../config/estimates.ts';
import { loadKindProfiles } from '../config/testing/all-profiles.ts';
import { defaultProfileConcurrency } from './profile-concurrency.ts';

const GIB = 1024 ** 3;

async function kindProfiles(ids: readonly string[]) {
  const all = await loadKindProfiles();
  return ids.map((id) => {
    const profile = all.find((candidate) => candidate.id === id);
    if (profile === undefined) throw new Error(`no profile ${id}`);
    return profile;
  });
}

describe('default profile concurrency', () => {
  it('kind: as many clusters as fit at the heaviest selected profile\'s estimate from clusters/estimates.yaml', async () => {
    const estimates = await loadEstimates();
    const profiles = await kindProfiles(['kindnet', 'calico', 'cilium+istio-ambient', 'istio-sidecar']);
    const heaviest = Math.max(...profiles.map((profile) => estimateFor(profile, estimates).memoryBytes));
    const free = 32 * GIB;
    expect(defaultProfileConcurrency('kind', profiles, estimates, free)).toBe(Math.min(profiles.length, Math.floor(free / heaviest)));
    // Only light profiles selected: more of them fit than of the heaviest.
    const light = await kindProfiles(['kindnet', 'calico', 'cilium', 'istio-sidecar']);
    const lightest = Math.max(...light.map((profile) => estimateFor(profile, estimates).memoryBytes));
    expect(defaultProfileConcurrency('kind', light, estimates, 16 * GIB)).toBe(Math.min(light.length, Math.floor(16 * GIB / lightest)));
  });

  it('follows the estimates file: a profile estimated at 20 GiB runs alone even with 32 GiB free', async () => {
    const estimates = await loadEstimates();
    const heavy: ResourceEstimates = { ...estimates, mesh: { ...estimates.mesh, 'istio-ambient': { memoryMiB: 20 * 1024, diskMiB: 0 } } };
    const profiles = await kindProfiles(['calico', 'cilium+istio-ambient']);
    expect(defaultProfileConcurrency('kind', profiles, estimates, 32 * GIB)).toBe(2);
    expect(defaultProfileConcurrency('kind', profiles, heavy, 32 * GIB)).toBe(1);
  });

  it('kind below 16 GiB free: one at a time; never zero; lab: all at once', async () => {
    const estimates = await loadEstimates();
    const profiles = await kindProfiles(['kindnet', 'calico']);
    expect(defaultProfileConcurrency('kind', profiles, estimates, 15 * GIB)).toBe(1);
    expect(defaultProfileConcurrency('kind', [], estimates, 64 * GIB)).toBe(1);
    expect(defaultProfileConcurrency('lab', profiles, estimates, 0)).toBe(2);
  });
});

describe('default attack concurrency', () => {
  it('runs many lab attacks at once and few on a shared API server', async () => {
    const { DEFAULT_ATTACK_CONCURRENCY } = await import('./profile-concurrency.ts');
    expect(DEFAULT_ATTACK_CONCURRENCY).toEqual({ lab: 32, kind: 8, kubeconfig: 8 });
  });

  it('is what `run --help` says', async () => {
    const { runCommand } = await import('./commands/run-command.ts');
    const help = runCommand().helpInformation().replace(/\s+/g, ' ');
    expect(help).toContain('attacks running at once per profile (default: lab 32; kind, kubeconfig 8)');
  });
});
