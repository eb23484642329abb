import { describe, expect, it } from 'vitest';
import { MemoryCluster, type Replay } from '../../clusters/memory/memory-cluster.ts';
import { AdmissionPolicyEvaluator } from '../admission/validating-admission-policy.ts';
import { HARDENED_ADMISSION, buildHardenedAdmissionPolicies } from '../../manifests/policies/hardened-admission-policies.ts';
import { labProfiles } from '../config/profiles-config.ts';
import type { Profile } from '../domain/profile.ts';
import { admissionPolicyChecks } from './admission-policy-check.ts';

const profile = labProfiles()[0] as Profile;
const POLICIES = buildHardenedAdmissionPolicies();
let counter = 0;
const tail = (): string => String((counter += 1));

function run(replay: Replay, applied = POLICIES) {
  const cluster = new MemoryCluster(profile, replay);
  return { cluster, checks: admissionPolicyChecks({ cluster, applied, podReadyMs: 1_000, tail, convergence: { timeoutMs: 300, intervalMs: 20 } }) };
}

describe('admission policy checks (the hardened policies in force before any attack)', () => {
  it('pass when each policy refuses its probe pod by name, as the admission evaluator does', async () => {
    // The memory cluster knows nothing of the requester: this replay refuses in the evaluator's words.
    const evaluator = new AdmissionPolicyEvaluator();
    for (const object of POLICIES) evaluator.accept(object);
    const { checks } = run((pod) => {
      const namespace = pod.metadata?.namespace ?? '';
      const asked = pod.spec?.serviceAccountName === 'frontend' ? 'pod-creator' : 'harness';
      const decision = evaluator.admit(pod, namespace, { 'kubernetes.io/metadata.name': namespace }, asked);
      return decision.allowed ? { signal: 'http-ok' } : { signal: 'admission-denied', rejectWith: decision.message };
    });
    const rows = await checks;
    expect(rows.map((row) => [row.kind, row.passed, row.tries])).toEqual([
      ['admission-policy', true, 1],
      ['admission-policy', true, 1],
    ]);
    expect(rows[1]?.detail).toContain(`ValidatingAdmissionPolicy '${HARDENED_ADMISSION.deployerPolicy}'`);
  });

  it('fail when the probe is admitted until the timeout, deleting every admitted probe pod', async () => {
    const { cluster, checks } = run(() => ({ signal: 'http-ok' }));
    const rows = await checks;
    expect(rows.every((row) => !row.passed && row.tries > 1)).toBe(true);
    expect([...cluster.podsDeleted].sort()).toEqual([...cluster.podsCreated].sort());
  });

  it('do not count a refusal by something else (PodSecurity) as the policy in force', async () => {
    const { checks } = run((pod) => ({ signal: 'admission-denied', rejectWith: `pods "${pod.metadata?.name ?? ''}" is forbidden: violates PodSecurity "baseline:latest": privileged` }));
    expect((await checks).map((row) => row.passed)).toEqual([false, false]);
  });

  it('are empty when no hardened policy is applied (baseline)', async () => {
    expect(await run(() => ({ signal: 'http-ok' }), []).checks).toEqual([]);
  });
});
