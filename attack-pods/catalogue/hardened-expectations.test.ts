import { beforeAll, describe, expect, it } from 'vitest';
import { LabAdmissionPolicies } from '../../clusters/lab/admission/validating-admission-policy.ts';
import { labProfiles } from '../../core/config/profiles-config.ts';
import { loadKindProfiles } from '../../core/config/testing/all-profiles.ts';
import type { AttackDefinition } from '../../core/domain/attack.ts';
import { stackTraits, withPolicyStrength, type Profile, type StackTraits } from '../../core/domain/profile.ts';
import { buildHardenedAdmissionPolicies } from '../../manifests/policies/hardened-admission-policies.ts';
import { planContext, stackAttackCases, TEST_CANARY } from './testing/stack-attack-cases.ts';
import { testAddresses } from './testing/test-addresses.ts';
import { ATTACKS } from './index.ts';

const ADDRESSES = testAddresses();

let profiles: Profile[] = [];
const policies = new LabAdmissionPolicies();
for (const object of buildHardenedAdmissionPolicies()) policies.accept(object);

beforeAll(async () => {
  profiles = [...(await loadKindProfiles()), ...labProfiles()];
});

function refusedByPolicy(traits: StackTraits, attack: AttackDefinition, role: 'attempt' | 'control'): boolean {
  const { pod } = attack[role](planContext(traits, TEST_CANARY, ADDRESSES));
  const namespace = pod.metadata?.namespace ?? '';
  return !policies.admit(pod, namespace, { 'kubernetes.io/metadata.name': namespace }).allowed;
}

describe('expectations under --policy-set hardened', () => {
  it('say admission exactly where the hardened policy (evaluated by the lab) refuses the attempt, on every stack', () => {
    const refused = new Set<string>();
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
        } else {
          // Nothing else of the hardened set is rendered yet: every other expectation is the baseline's.
          expect({ outcome: after.outcome, blockedBy: after.blockedBy }, where).toEqual({ outcome: before.outcome, blockedBy: before.blockedBy });
        }
      }
    }
    expect([...refused].sort()).toEqual(['AM3', 'AM3-mesh', 'EG6', 'SC1', 'SC3', 'SC3-noinject']);
  });

  it('never refuse a positive control (a refused control would make every cell inconclusive)', () => {
    const hardened = profiles.map((profile) => stackTraits(withPolicyStrength(profile, 'hardened')));
    for (const { stack, attack, where } of stackAttackCases(hardened)) expect(refusedByPolicy(stack, attack, 'control'), `control of ${where}`).toBe(false);
  });

  it('leave LM2 allowed, and say why', () => {
    const lm2 = ATTACKS.find((attack) => attack.id === 'LM2');
    const lab = profiles.find((profile) => profile.id === 'lab:ambient');
    if (lm2 === undefined || lab === undefined) throw new Error('LM2 and lab:ambient expected');
    const expectation = lm2.expect(stackTraits(withPolicyStrength(lab, 'hardened')));
    expect(expectation.outcome).toBe('allowed');
    expect(expectation.note).toContain('cannot tell');
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
});
