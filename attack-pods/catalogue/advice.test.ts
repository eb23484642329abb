import { describe, expect, it } from 'vitest';
import { SEVERITIES } from '../../core/domain/attack.ts';
import { loadAllStackTraits } from '../../core/config/testing/all-profiles.ts';
import { ATTACK_ADVICE, withAdvice } from './advice.ts';
import { ATTACKS } from './index.ts';

const stacks = await loadAllStackTraits();

describe('severity and fixes', () => {
  it('gives every attack a severity and a one-line reason', () => {
    for (const attack of ATTACKS) {
      expect(SEVERITIES, attack.id).toContain(attack.severity.level);
      expect(attack.severity.reason, attack.id).toMatch(/^\S[^\n]{10,200}$/);
    }
  });

  it('has at least one sourced fix for every (attack, stack) expected allowed', () => {
    let allowedCells = 0;
    for (const attack of ATTACKS) {
      for (const stack of stacks) {
        if (attack.expect(stack).outcome !== 'allowed') continue;
        allowedCells += 1;
        const fixes = attack.fixes(stack);
        expect(fixes.length, `${attack.id} on ${stack.profileId}`).toBeGreaterThan(0);
        for (const fix of fixes) {
          expect(fix.source.url, `${attack.id} on ${stack.profileId}`).toMatch(/^https:\/\/[^\s]+$/);
          expect(fix.source.title.length).toBeGreaterThan(0);
          expect(fix.feature.length).toBeGreaterThan(0);
          expect(fix.policy.length).toBeGreaterThan(0);
        }
      }
    }
    // The catalogue has allowed cells on every family; a table that lost them would make this test vacuous.
    expect(allowedCells).toBeGreaterThan(100);
  });

  it('names the fixes the issue asks for: EG2 a Cilium DNS rule, SC1 CNI egress or an admission rule on UID 1337, LM2 an admission rule binding service accounts', () => {
    const byId = new Map(ATTACKS.map((attack) => [attack.id, attack]));
    const cilium = stacks.find((stack) => stack.profileId === 'cilium');
    const kindnet = stacks.find((stack) => stack.profileId === 'kindnet');
    if (cilium === undefined || kindnet === undefined) throw new Error('profiles.yaml lost cilium or kindnet');
    const eg2 = byId.get('EG2')?.fixes(cilium) ?? [];
    expect(eg2.some((fix) => fix.layer === 'cni' && fix.policy.includes('matchPattern') && fix.source.url.startsWith('https://docs.cilium.io/'))).toBe(true);
    // Without Cilium there is no DNS-aware CNI rule: the resolver is the fix, not a made-up Cilium feature.
    expect((byId.get('EG2')?.fixes(kindnet) ?? []).map((fix) => fix.layer)).toEqual(['cluster-dns']);
    const sc1 = byId.get('SC1')?.fixes(kindnet) ?? [];
    expect(sc1.map((fix) => fix.layer)).toEqual(['cni', 'admission']);
    expect(sc1[1]?.policy).toContain('1337');
    const lm2 = byId.get('LM2')?.fixes(kindnet) ?? [];
    expect(lm2[0]).toMatchObject({ layer: 'admission' });
    expect(lm2[0]?.policy).toContain('serviceAccountName');
  });

  it('keys advice only by catalogue ids, and refuses an attack without advice', () => {
    const ids = new Set(ATTACKS.map((attack) => attack.id));
    expect(Object.keys(ATTACK_ADVICE).filter((id) => !ids.has(id))).toEqual([]);
    const { severity: _severity, fixes: _fixes, ...unrated } = ATTACKS[0] ?? (() => { throw new Error('empty catalogue'); })();
    expect(() => withAdvice({ ...unrated, id: 'ZZ9' })).toThrow(/ZZ9 has no severity\/fix entry/);
  });
});
