import { beforeAll, describe, expect, it } from 'vitest';
import { AdmissionPolicyEvaluator } from '../../core/admission/validating-admission-policy.ts';
import { labProfiles } from '../../core/config/profiles-config.ts';
import { loadKindProfiles } from '../../core/config/testing/all-profiles.ts';
import type { AttackDefinition } from '../../core/domain/attack.ts';
import { stackTraits, withPolicyStrength, type Profile, type StackTraits } from '../../core/domain/profile.ts';
import { buildHardenedAdmissionPolicies } from '../../manifests/policies/hardened-admission-policies.ts';
import { planContext, stackAttackCases, TEST_CANARY } from './testing/stack-attack-cases.ts';
import { testAddresses } from './testing/test-addresses.ts';
import { waypointPodSpec } from '../../clusters/lab/ambient/waypoint-gateway.ts';
import { ATTACKS } from './index.ts';

const ADDRESSES = testAddresses();

let profiles: Profile[] = [];
const policies = new AdmissionPolicyEvaluator();
for (const object of buildHardenedAdmissionPolicies()) policies.accept(object);

beforeAll(async () => {
  profiles = [...(await loadKindProfiles()), ...labProfiles()];
});

function refusedByPolicy(traits: StackTraits, attack: AttackDefinition, role: 'attempt' | 'control'): boolean {
  const { pod, requester } = attack[role](planContext(traits, TEST_CANARY, ADDRESSES));
  const namespace = pod.metadata?.namespace ?? '';
  return !policies.admit(pod, namespace, { 'kubernetes.io/metadata.name': namespace }, requester).allowed;
}

describe('expectations under --policy-set hardened', () => {
  it('say admission exactly where the hardened policy (evaluated as the API server would, core/admission/) refuses the attempt, on every stack', () => {
    const refused = new Set<string>();
    const changed: string[] = [];
    for (const profile of profiles) {
      const base = stackTraits(profile);
      const traits = stackTraits(withPolicyStrength(profile, 'hardened'));
      expect(traits.strength).toBe('hardened');
      for (const { attack, where } of stackAttackCases([traits])) {
        // The only other hardened change: lab sidecar stacks normalise paths as Istio recommends (SC10).
        const before = attack.expect({ ...base, pathNormalization: traits.pathNormalization });
        const after = attack.expect(traits);
        if (after.outcome === 'not-applicable') continue;
        if (refusedByPolicy(traits, attack, 'attempt')) {
          refused.add(attack.id);
          expect(after, where).toMatchObject({ outcome: 'blocked', blockedBy: 'admission', signal: 'admission-denied' });
          expect(after.source).toContain('ValidatingAdmissionPolicy');
        } else if (after.outcome !== before.outcome || after.blockedBy !== before.blockedBy) {
          changed.push(`${attack.id} on ${base.profileId}: ${before.outcome} → ${after.outcome}${after.blockedBy === undefined ? '' : ` by ${after.blockedBy}`}`);
        }
      }
    }
    expect([...refused].sort()).toEqual(['AM3', 'AM3-mesh', 'EG6', 'LM2', 'SC1', 'SC3', 'SC3-noinject']);
    // Beyond admission and path normalisation (folded into `before`), the only verdict the hardened set moves:
    // Cilium's DNS proxy refuses names outside the cluster wherever Cilium enforces policy.
    expect(changed.sort()).toEqual([
      'EG2 on cilium+istio-ambient: allowed → blocked by cni',
      'EG2 on cilium+istio-sidecar: allowed → blocked by cni',
      'EG2 on cilium-wireguard+istio-ambient: allowed → blocked by cni',
      'EG2 on cilium-wireguard: allowed → blocked by cni',
      'EG2 on cilium: allowed → blocked by cni',
    ]);
  });

  it('carry a source and a certainty for every attack on every kind profile and lab stack', () => {
    for (const profile of profiles) {
      const traits = stackTraits(withPolicyStrength(profile, 'hardened'));
      for (const attack of ATTACKS) {
        const expectation = attack.expect(traits);
        expect(expectation.source.length, `${attack.id} on ${traits.profileId}`).toBeGreaterThan(0);
        expect(['documented', 'inferred', 'version-dependent'], `${attack.id} on ${traits.profileId}`).toContain(expectation.certainty);
      }
    }
  });

  it('never refuse a positive control (a refused control would make every cell inconclusive)', () => {
    const hardened = profiles.map((profile) => stackTraits(withPolicyStrength(profile, 'hardened')));
    for (const { stack, attack, where } of stackAttackCases(hardened)) expect(refusedByPolicy(stack, attack, 'control'), `control of ${where}`).toBe(false);
  });

  it('refuse LM2 for who asked, not for what the pod says: the same pod from frontend\'s deployer is admitted', () => {
    const index = ATTACKS.findIndex((attack) => attack.id === 'LM2');
    const lm2 = ATTACKS[index];
    const lab = profiles.find((profile) => profile.id === 'lab:ambient');
    if (lm2 === undefined || lab === undefined) throw new Error('LM2 and lab:ambient expected');
    const traits = stackTraits(withPolicyStrength(lab, 'hardened'));
    const { pod, requester } = lm2.attempt({ stack: traits, canary: 'bm3f9a0c1d2e4b5a6c', addresses: ADDRESSES });
    expect(requester).toBe('pod-creator');
    const namespace = pod.metadata?.namespace ?? '';
    const labels = { 'kubernetes.io/metadata.name': namespace };
    const refusal = policies.admit(pod, namespace, labels, 'pod-creator');
    expect(refusal.allowed).toBe(false);
    if (refusal.allowed) return;
    expect(refusal.message).toContain("ValidatingAdmissionPolicy 'bm-hardened-workload-deployer'");
    expect(refusal.message).toContain('only be used by pods its deployer creates');
    expect(policies.admit(pod, namespace, labels, 'harness').allowed).toBe(true);
    expect(lm2.expect(stackTraits(lab)).outcome).toBe('allowed');
  });
});

describe('hardened lab sidecar stacks', () => {
  it('normalise paths with DECODE_AND_MERGE_SLASHES, so SC10 is expected blocked on lab:sidecar+hardened', () => {
    const sidecar = labProfiles().find((profile) => profile.id === 'lab:sidecar');
    const sc10 = ATTACKS.find((attack) => attack.id === 'SC10');
    if (sidecar === undefined || sc10 === undefined) throw new Error('lab:sidecar and SC10 expected');
    expect(sc10.expect(stackTraits(sidecar)).outcome).toBe('allowed');
    const hardened = stackTraits(withPolicyStrength(sidecar, 'hardened'));
    expect(hardened.pathNormalization).toBe('DECODE_AND_MERGE_SLASHES');
    expect(sc10.expect(hardened)).toMatchObject({ outcome: 'blocked', blockedBy: 'mesh-sidecar' });
  });

  it('kind mesh stacks render the same normalisation into istiod, so SC10 is expected blocked at the sidecar and the waypoint', () => {
    const sc10 = ATTACKS.find((attack) => attack.id === 'SC10');
    if (sc10 === undefined) throw new Error('SC10 expected');
    const layers = Object.fromEntries(
      profiles
        .filter((profile) => profile.lab === undefined && profile.mesh !== 'none')
        .map((profile) => [profile.id, sc10.expect(stackTraits(withPolicyStrength(profile, 'hardened'))).blockedBy ?? 'allowed']),
    );
    expect(layers).toEqual({
      'istio-sidecar': 'mesh-sidecar',
      'istio-ambient': 'mesh-waypoint',
      'calico+istio-sidecar': 'mesh-sidecar',
      'calico+istio-ambient': 'mesh-waypoint',
      'cilium+istio-sidecar': 'mesh-sidecar',
      'cilium+istio-ambient': 'mesh-waypoint',
      'calico-wireguard+istio-sidecar': 'mesh-sidecar',
      'cilium-wireguard+istio-ambient': 'mesh-waypoint',
    });
  });
});

describe('the hardened admission policy and Istio\'s own waypoint pods', () => {
  it('admits a waypoint pod as istiod renders it (its opt-out labels are by design), and refuses the same labels on any other pod', () => {
    const waypoint = waypointPodSpec({ namespace: 'bm-app', name: 'waypoint' });
    const labels = { 'kubernetes.io/metadata.name': 'bm-app' };
    expect(policies.admit(waypoint, 'bm-app', labels, 'harness')).toEqual({ allowed: true });
    // The same labels without the waypoint's identity (its Gateway-named service account) are an opt-out.
    const impostor = structuredClone(waypoint);
    if (impostor.spec === undefined) throw new Error('spec expected');
    impostor.spec.serviceAccountName = 'frontend';
    const refused = policies.admit(impostor, 'bm-app', labels, 'harness');
    expect(refused.allowed).toBe(false);
    if (!refused.allowed) expect(refused.message).toContain('pods must not opt out of the mesh');
  });
});
