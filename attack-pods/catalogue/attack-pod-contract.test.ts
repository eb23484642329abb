import { beforeAll, describe, expect, it } from 'vitest';
import { loadAllStackTraits } from '../../core/config/testing/all-profiles.ts';
import type { AttemptPlan } from '../../core/domain/attack.ts';
import type { StackTraits } from '../../core/domain/profile.ts';
import { isCoreKind, validateCoreKind } from '../../manifests/contract/core-kinds.ts';
import { asKubeObject } from '../../manifests/kube-object.ts';
import { testAddresses } from './testing/test-addresses.ts';
import { ATTACKS } from './index.ts';

/**
 * The pods the runner creates at run time (attempt, control, and an eavesdropper's victim) for every attack on every
 * kind and lab profile, checked against the Pod schema the rendered scene is checked against (manifests/contract).
 */
let stacks: StackTraits[] = [];
beforeAll(async () => {
  stacks = await loadAllStackTraits();
});

describe('attack pods: every attempt, control and victim pod of the catalogue is a valid Pod on every profile', () => {
  it('validates them all', () => {
    const failures: string[] = [];
    let checked = 0;
    for (const stack of stacks) {
      for (const attack of ATTACKS) {
        if (attack.notApplicable(stack) !== undefined) continue;
        const context = { stack, canary: 'bm00000000000000cc', addresses: testAddresses() };
        const plans: [string, AttemptPlan][] = [
          ['attempt', attack.attempt(context)],
          ['control', attack.control(context)],
          ...(attack.victim === undefined ? [] : [['victim', attack.victim(context)] as [string, AttemptPlan]]),
        ];
        for (const [role, plan] of plans) {
          const object = asKubeObject(plan.pod);
          expect(isCoreKind(object), `${attack.id} ${role}`).toBe(true);
          const result = validateCoreKind(object);
          if (!result.ok) failures.push(`${stack.profileId} ${attack.id} ${role}: ${result.errors.join('; ')}`);
          checked += 1;
        }
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(ATTACKS.length * 2 * 10);
  });

  it('the Pod schema still refuses what the API server would (a DNS policy or host port it does not know)', () => {
    const stack = stacks[0];
    if (stack === undefined) throw new Error('no profiles');
    const control = ATTACKS.find((attack) => attack.id === 'EG1')?.control({ stack, canary: 'bm00000000000000cc', addresses: testAddresses() });
    if (control === undefined) throw new Error('EG1 expected');
    const pod = asKubeObject(control.pod) as unknown as { spec: Record<string, unknown> };
    expect(pod.spec['dnsPolicy']).toBe('ClusterFirstWithHostNet');
    expect(validateCoreKind({ ...pod, spec: { ...pod.spec, dnsPolicy: 'ClusterLast' } }).ok).toBe(false);
  });
});
