import { describe, expect, it } from 'vitest';
import { labProfiles } from '../config/profiles-config.ts';
import { stackTraits, withPolicyStrength } from '../domain/profile.ts';
import { sceneFlows } from '../scene-check/scene-flows.ts';
import { passStack } from './pass-stack.ts';

function hardened(id: string) {
  const profile = labProfiles().find((candidate) => candidate.id === id);
  if (profile === undefined) throw new Error(`${id} expected`);
  return stackTraits(withPolicyStrength(profile, 'hardened'));
}

describe('passStack', () => {
  it('an admission-only pass expects no flow denied (its policy refuses pods, not traffic)', () => {
    const stack = passStack(hardened('lab:netpol+sidecar'), 'admission');
    expect(stack).toMatchObject({ enforcesNetworkPolicy: false, meshPolicies: false });
    expect(sceneFlows(stack).filter((flow) => flow.expect === 'denied')).toEqual([]);
  });

  it('a cni or mesh pass keeps only its own layer, and the forbidden flows stay expected denied', () => {
    const full = hardened('lab:netpol+sidecar');
    expect(sceneFlows(full).filter((flow) => flow.expect === 'denied').length).toBeGreaterThan(0);
    const cni = passStack(full, 'cni');
    expect(cni).toMatchObject({ enforcesNetworkPolicy: true, meshPolicies: false });
    expect(sceneFlows(cni).filter((flow) => flow.expect === 'denied').map((flow) => flow.id)).toEqual(sceneFlows(full).filter((flow) => flow.expect === 'denied').map((flow) => flow.id));
    expect(passStack(full, 'mesh')).toMatchObject({ enforcesNetworkPolicy: false, meshPolicies: true });
  });
});
