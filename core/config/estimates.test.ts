import { describe, expect, it } from 'vitest';
import { BadInputError } from '../domain/errors.ts';
import { buildEstimates, estimateFor, loadEstimates } from './estimates.ts';
import { loadProfileCatalog } from './profiles-config.ts';

const MIB = 1024 ** 2;

describe('resource estimates (clusters/estimates.yaml)', () => {
  it('composes a profile from the cluster, its CNI and its mesh, per worker', () => {
    const estimates = buildEstimates('test.yaml', {
      cluster: { controlPlaneMiB: 1000, perWorkerMiB: 100, diskMiB: 2000 },
      cni: { kindnet: { memoryMiB: 0, diskMiB: 0 }, calico: { memoryMiB: 10, diskMiB: 20 }, cilium: { memoryMiB: 30, diskMiB: 40 }, flannel: { memoryMiB: 5, diskMiB: 6 } },
      mesh: { none: { memoryMiB: 0, diskMiB: 0 }, 'istio-sidecar': { memoryMiB: 1, diskMiB: 2 }, 'istio-ambient': { memoryMiB: 3, diskMiB: 4 } },
    });
    const profile = { id: 'cilium+istio-ambient', cni: 'cilium', mesh: 'istio-ambient', versions: { kubernetes: 'v1' }, options: { kubeProxyReplacement: false, istioCni: true, smallFootprint: true, workers: 3, policy: 'layered', strength: 'baseline', pathNormalization: 'BASE', encryption: 'none' } } as const;
    expect(estimateFor(profile, estimates)).toEqual({ profileId: 'cilium+istio-ambient', memoryBytes: (1000 + 300 + 30 + 3) * MIB, diskBytes: (2000 + 40 + 4) * MIB });
  });

  it('the shipped file covers every profile of clusters/profiles.yaml, the heaviest at most 6 GiB, as the READMEs say (~5–5.5 GiB with Istio)', async () => {
    const estimates = await loadEstimates();
    const { profiles } = await loadProfileCatalog();
    const memory = profiles.map((profile) => estimateFor(profile, estimates).memoryBytes);
    expect(Math.min(...memory)).toBeGreaterThan(0);
    expect(Math.max(...memory)).toBeLessThanOrEqual(6 * 1024 * MIB);
  });

  it('refuses a file missing a CNI or with an unknown field, naming it', () => {
    const part = { memoryMiB: 0, diskMiB: 0 };
    const complete = {
      cluster: { controlPlaneMiB: 1, perWorkerMiB: 1, diskMiB: 1 },
      cni: { kindnet: part, calico: part, cilium: part, flannel: part },
      mesh: { none: part, 'istio-sidecar': part, 'istio-ambient': part },
    };
    expect(() => buildEstimates('e.yaml', complete)).not.toThrow();
    const noCilium = { ...complete, cni: { kindnet: part, calico: part } };
    expect(() => buildEstimates('e.yaml', noCilium)).toThrow(BadInputError);
    expect(() => buildEstimates('e.yaml', noCilium)).toThrow(/e\.yaml: cni\.cilium/);
    expect(() => buildEstimates('e.yaml', { ...complete, extra: 1 })).toThrow(/unknown field "extra"/);
  });
});
