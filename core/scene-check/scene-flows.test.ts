import { describe, expect, it } from 'vitest';
import { loadKindProfiles } from '../config/testing/all-profiles.ts';
import { stackTraits } from '../domain/profile.ts';
import { sceneFlows } from './scene-flows.ts';

describe('sceneFlows on a CNI without a policy engine', () => {
  it('flannel: the NetworkPolicies are applied, so the forbidden flows are expected allowed because nothing enforces them', async () => {
    const flannel = (await loadKindProfiles()).find((profile) => profile.id === 'flannel');
    if (flannel === undefined) throw new Error('no flannel profile');
    const flows = sceneFlows(stackTraits(flannel));
    const forbidden = flows.filter((flow) => flow.id !== 'frontend-api');
    expect(forbidden.length).toBeGreaterThan(0);
    for (const flow of forbidden) expect(flow).toMatchObject({ expect: 'allowed', because: 'NetworkPolicy is applied but flannel enforces none' });
    // The same flows on Calico, which enforces the same NetworkPolicies, are denied by the CNI.
    const calico = (await loadKindProfiles()).find((profile) => profile.id === 'calico');
    if (calico === undefined) throw new Error('no calico profile');
    for (const flow of sceneFlows(stackTraits(calico)).filter((candidate) => candidate.id !== 'frontend-api')) expect(flow).toMatchObject({ expect: 'denied', because: 'CNI default-deny' });
  });
});
