import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { stackProfileId, stackTraits } from '../domain/profile.ts';
import { policyStrength } from './option-parsers.ts';
import { resolveProfiles } from './profile-selection.ts';

describe('--policy-set', () => {
  it('baseline keeps the ids; hardened suffixes them and carries the strength into the traits', async () => {
    const baseline = await resolveProfiles({ provider: 'lab', profile: ['lab:ambient'], policySet: 'baseline' });
    expect(baseline.map((profile) => profile.id)).toEqual(['lab:ambient']);
    expect(baseline.map((profile) => stackTraits(profile).strength)).toEqual(['baseline']);
    const hardened = await resolveProfiles({ provider: 'lab', profile: ['lab:ambient', 'lab:none'], policySet: 'hardened' });
    expect(hardened.map((profile) => profile.id)).toEqual(['lab:ambient+hardened', 'lab:none+hardened']);
    expect(hardened.map((profile) => stackTraits(profile).strength)).toEqual(['hardened', 'hardened']);
    expect(hardened[0]?.lab).toBe('lab:ambient');
    expect(stackProfileId('calico@next+hardened')).toBe('calico@next');
  });

  it('is baseline when absent, and refuses an unknown set naming the allowed ones', async () => {
    const profiles = await resolveProfiles({ provider: 'lab', profile: ['lab:none'] });
    expect(profiles[0]?.options.strength).toBe('baseline');
    expect(() => policyStrength('strict')).toThrow(InvalidArgumentError);
    expect(() => policyStrength('strict')).toThrow(/allowed: baseline, hardened/);
  });
});
