import { describe, expect, it } from 'vitest';
import { MemoryCluster, type MemorySceneFaults } from '../../clusters/memory/memory-cluster.ts';
import { renderSceneObjects } from '../../manifests/render-scene-objects.ts';
import { labProfiles } from '../config/profiles-config.ts';
import type { KubeObject } from '../domain/cluster.ts';
import { stackTraits, withPolicyStrength, type Profile } from '../domain/profile.ts';
import { loadKindProfiles } from '../config/testing/all-profiles.ts';
import type { SceneCheck } from '../domain/scene-self-test.ts';
import { applyPoliciesWithSelfTest, type SceneSelfTestResult } from './scene-self-test.ts';

function labProfile(id: string): Profile {
  const found = labProfiles().find((profile) => profile.id === id);
  if (found === undefined) throw new Error(`no lab profile ${id}`);
  return found;
}

/** The real scene and layered policies of the profile, through the in-memory cluster, with faults injected. */
async function selfTestOn(profile: Profile, faults: MemorySceneFaults = {}): Promise<{ result: SceneSelfTestResult; cluster: MemoryCluster }> {
  const cluster = new MemoryCluster(profile, () => ({ signal: 'error', detail: 'no attack runs here' }), faults);
  const [scene = [], ...policies] = renderSceneObjects(profile);
  await cluster.apply(scene);
  const result = await applyPoliciesWithSelfTest({
    cluster,
    stack: stackTraits(profile),
    scene,
    policies,
    podReadyMs: 1_000,
    signal: new AbortController().signal,
    scripts: () => 'true',
    // Long enough for two denials under a loaded machine; a flow that stays allowed costs the whole second.
    convergence: { timeoutMs: 1_000, intervalMs: 20 },
  });
  return { result, cluster };
}

/** selfTestOn the built-in lab profile `profileId`. */
function selfTest(profileId: string, faults: MemorySceneFaults = {}): Promise<{ result: SceneSelfTestResult; cluster: MemoryCluster }> {
  return selfTestOn(labProfile(profileId), faults);
}

function failed(result: SceneSelfTestResult): SceneCheck[] {
  return result.checks.filter((check) => !check.passed);
}

describe('scene self-test', () => {
  it('passes every check on a healthy sidecar stack, and covers each kind of precondition', async () => {
    const { result, cluster } = await selfTest('lab:netpol+sidecar');
    expect(failed(result)).toEqual([]);
    expect(result.passed).toBe(true);
    expect(result.checks.map((check) => `${check.kind}: ${check.name}`)).toEqual([
      'allowed-before-policies: intruder → api:8080/http before policies',
      'allowed-before-policies: rogue → db:5432/tcp before policies',
      'metadata: intruder → 169.254.169.254:80/http (metadata emulation)',
      'denied-flow: intruder → api:8080/http',
      'denied-flow: rogue → db:5432/tcp',
      'allowed-flow: frontend → api:8080/http',
      'dns: intruder → cluster DNS → sink (TXT <canary>.exfil.test)',
      'mesh-enrolment: mesh enrolment bm-app/frontend',
      'mesh-enrolment: mesh enrolment bm-app/api',
      'mesh-enrolment: mesh enrolment bm-app/db',
      'read-back: read-back of every applied object',
    ]);
    // Denied flows are the convergence condition: two denials in a row after the policies.
    expect(result.checks.find((check) => check.name === 'intruder → api:8080/http')).toMatchObject({ tries: 2, observed: expect.stringMatching(/^denied after 2 probe/) });
    expect(result.checks.find((check) => check.kind === 'allowed-flow')).toMatchObject({ tries: 2, observed: 'allowed, allowed' });
    // Every self-test pod is deleted afterwards.
    expect([...cluster.podsDeleted].sort()).toEqual([...cluster.podsCreated].sort());
  });

  it('under the hardened Cilium DNS rule (cluster names only) the exfil zone\'s forwarding is proven before the policies', async () => {
    const cilium = (await loadKindProfiles()).find((profile) => profile.id === 'cilium');
    if (cilium === undefined) throw new Error('kind profile cilium expected');
    for (const [profile, dnsFirst] of [
      [withPolicyStrength(cilium, 'hardened'), true],
      [cilium, false],
    ] as const) {
      const { result } = await selfTestOn(profile);
      const kinds = result.checks.map((check) => check.kind);
      // The before-policies checks come first in the table: DNS before the first denied flow only when hardened.
      expect(kinds.indexOf('dns') < kinds.indexOf('denied-flow'), profile.id).toBe(dnsFirst);
    }
  });

  it('on a stack without policies the forbidden flows must be allowed, and nothing is polled for a denial', async () => {
    const { result } = await selfTest('lab:none');
    expect(failed(result)).toEqual([]);
    expect(result.checks.filter((check) => check.kind === 'denied-flow' || check.kind === 'allowed-before-policies')).toEqual([]);
    expect(result.checks.filter((check) => check.kind === 'allowed-flow').map((check) => check.name)).toEqual([
      'frontend → api:8080/http',
      'intruder → api:8080/http',
      'rogue → db:5432/tcp',
    ]);
  });

  it('fails on a denied flow that stays allowed after the policies', async () => {
    const { result } = await selfTest('lab:netpol', { probe: (id) => (id === 'rogue-db' ? { signal: 'connected' } : undefined) });
    expect(failed(result).map((check) => check.name)).toEqual(['rogue → db:5432/tcp']);
    expect(failed(result)[0]?.observed).toMatch(/^still allowed after \d+ probes/);
  });

  it('fails when a forbidden flow is already denied before the policies (its later denial would prove nothing)', async () => {
    const { result } = await selfTest('lab:netpol', { probe: (id, phase) => (id === 'intruder-api' && phase === 'before-policies' ? { signal: 'timeout' } : undefined) });
    expect(failed(result).map((check) => check.name)).toEqual(['intruder → api:8080/http before policies']);
  });

  it('fails when an allowed flow is denied on one of its two tries', async () => {
    let tries = 0;
    const { result } = await selfTest('lab:netpol', { probe: (id) => (id === 'frontend-api' && ++tries === 2 ? { signal: 'timeout', detail: 'curl 28' } : undefined) });
    expect(failed(result).map((check) => `${check.name}: ${check.observed}`)).toEqual(['frontend → api:8080/http: allowed, denied']);
  });

  it('fails when DNS for the exfil zone never reaches the sink', async () => {
    const { result } = await selfTest('lab:netpol', { probe: (id) => (id === 'dns-exfil' ? { signal: 'delivered' } : undefined) });
    expect(failed(result).map((check) => check.kind)).toEqual(['dns']);
    expect(failed(result)[0]).toMatchObject({ observed: 'the sink never recorded the canary', tries: 2 });
  });

  it('fails when the metadata endpoint does not reach its emulation', async () => {
    const { result } = await selfTest('lab:netpol', { probe: (id) => (id === 'metadata' ? { signal: 'timeout' } : undefined) });
    expect(failed(result).map((check) => check.kind)).toEqual(['metadata']);
  });

  it('fails the read-back on a mutated object, naming the path', async () => {
    const mutate = (sent: KubeObject, healthy: KubeObject | undefined): KubeObject | undefined => {
      if (healthy === undefined || sent.kind !== 'NetworkPolicy' || sent.metadata.name !== 'bm-api-ingress') return healthy;
      const spec = structuredClone(healthy['spec']) as { podSelector: { matchLabels: Record<string, string> } };
      spec.podSelector.matchLabels['app'] = 'not-api';
      return { ...healthy, spec };
    };
    const { result } = await selfTest('lab:netpol', { live: mutate });
    expect(failed(result).map((check) => check.kind)).toEqual(['read-back']);
    expect(failed(result)[0]?.detail).toBe('NetworkPolicy bm-app/bm-api-ingress: spec.podSelector.matchLabels.app: sent "api", live "not-api"');
  });

  it('fails the read-back when an applied object is absent', async () => {
    const { result } = await selfTest('lab:netpol', { live: (sent, healthy) => (sent.kind === 'ServiceAccount' && sent.metadata.name === 'api' ? undefined : healthy) });
    expect(failed(result)[0]?.detail).toBe('ServiceAccount bm-app/api: absent from the cluster');
  });

  it('fails mesh enrolment for a pod without a sidecar', async () => {
    const strip = (sent: KubeObject, healthy: KubeObject | undefined): KubeObject | undefined =>
      sent.kind === 'Pod' && sent.metadata.name === 'api' ? structuredClone(sent) : healthy;
    const { result } = await selfTest('lab:sidecar', { live: strip });
    expect(failed(result).map((check) => `${check.name}: ${check.observed}`)).toEqual(['mesh enrolment bm-app/api: no istio-proxy container']);
  });

  it('reads ambient enrolment from the redirection annotation', async () => {
    const healthy = await selfTest('lab:ambient');
    expect(failed(healthy.result)).toEqual([]);
    expect(healthy.result.checks.filter((check) => check.kind === 'mesh-enrolment')).toHaveLength(3);
    const { result } = await selfTest('lab:ambient', { live: (sent, live) => (sent.kind === 'Pod' && sent.metadata.name === 'db' ? structuredClone(sent) : live) });
    expect(failed(result).map((check) => check.name)).toEqual(['mesh enrolment bm-app/db']);
  });
});
