import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stackTraits } from '../../core/domain/profile.ts';
import { applyPoliciesWithSelfTest } from '../../core/scene-check/scene-self-test.ts';
import { renderSceneObjects } from '../../manifests/render-scene-objects.ts';
import { LabCluster } from './lab-cluster.ts';
import { labProfile } from './testing/lab-profile.ts';

/** The scene self-test on a real lab (namespaces, nftables, HAProxy sidecars, the sink): needs root. */
describe('scene self-test on a real lab:netpol+sidecar', () => {
  const profile = labProfile('lab:netpol+sidecar');
  const [scene = [], ...policies] = renderSceneObjects(profile);
  let lab: LabCluster;

  beforeAll(async () => {
    lab = await LabCluster.create(profile, { runId: 'scene-it', onProgress: () => undefined });
    await lab.apply(scene);
  }, 60_000);

  afterAll(async () => {
    await lab?.teardown();
  });

  const run = (applied: typeof policies, timeoutMs: number) =>
    applyPoliciesWithSelfTest({ cluster: lab, stack: stackTraits(profile), scene, policies: applied, podReadyMs: 10_000, signal: new AbortController().signal, convergence: { timeoutMs, intervalMs: 500 } });

  it('with the policies withheld, the flows they must deny stay allowed and the self-test names them', async () => {
    const result = await run([], 3_000);
    expect(result.passed).toBe(false);
    expect(result.checks.filter((check) => !check.passed).map((check) => `${check.name}: ${check.observed.replace(/\d+ probes/, 'N probes')}`)).toEqual([
      'intruder → api:8080/http: still allowed after N probes',
      'rogue → db:5432/tcp: still allowed after N probes',
    ]);
  }, 60_000);

  it('with the policies applied, every check passes: flows, DNS and metadata to the sink, sidecars, read-back', async () => {
    const result = await run(policies, 30_000);
    expect(result.checks.filter((check) => !check.passed)).toEqual([]);
    expect(new Set(result.checks.map((check) => check.kind))).toEqual(
      new Set(['allowed-before-policies', 'metadata', 'denied-flow', 'allowed-flow', 'dns', 'mesh-enrolment', 'read-back']),
    );
  }, 90_000);
});
