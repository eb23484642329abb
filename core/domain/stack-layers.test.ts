import { describe, expect, it } from 'vitest';
import type { Mesh, PolicySet, StackTraits } from './profile.ts';
import { stackLayers } from './stack-layers.ts';

function traits(mesh: Mesh, policy: PolicySet): StackTraits {
  return {
    profileId: `calico+${mesh}`,
    cni: 'calico',
    mesh,
    policy,
    strength: 'baseline',
    isLab: false,
    enforcesNetworkPolicy: policy === 'layered',
    meshPolicies: mesh !== 'none' && policy !== 'none',
    istioCni: true,
    pathNormalization: 'BASE',
    encryption: 'none',
    versions: { kubernetes: '1.33.1' },
  };
}

describe('stackLayers', () => {
  it('always has admission and api', () => {
    expect([...stackLayers(traits('none', 'none'))].sort()).toEqual(['admission', 'api']);
  });

  it('adds the CNI only when NetworkPolicy is enforced', () => {
    expect(stackLayers(traits('none', 'layered')).has('cni')).toBe(true);
    expect(stackLayers(traits('istio-sidecar', 'mesh-only')).has('cni')).toBe(false);
  });

  it('a sidecar mesh adds the sidecar only; ambient adds ztunnel and waypoint', () => {
    expect([...stackLayers(traits('istio-sidecar', 'layered'))].sort()).toEqual(['admission', 'api', 'cni', 'mesh-sidecar']);
    expect([...stackLayers(traits('istio-ambient', 'layered'))].sort()).toEqual([
      'admission',
      'api',
      'cni',
      'mesh-waypoint',
      'mesh-ztunnel',
    ]);
  });
});
