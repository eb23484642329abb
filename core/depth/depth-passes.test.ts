import type { V1Pod } from '@kubernetes/client-node';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { MemoryCluster, type MemorySceneFaults, type ScriptedRun } from '../../clusters/memory/memory-cluster.ts';
import { labProfiles } from '../config/profiles-config.ts';
import type { Cell } from '../domain/cell.ts';
import type { ClusterProvider, KubeObject } from '../domain/cluster.ts';
import type { Profile } from '../domain/profile.ts';
import { runMatrix, type RunMatrixOptions } from '../runner/run-matrix.ts';
import { EXPECT_BLOCKED_BY_CNI, syntheticAttack } from '../runner/testing/synthetic-attack.ts';
import { testRunOptions } from '../runner/testing/test-run-options.ts';
import type { LayeredScene } from './layered-scene.ts';

const layered = labProfiles().find((profile) => profile.id === 'lab:netpol+sidecar') as Profile;
const single = labProfiles().find((profile) => profile.id === 'lab:netpol') as Profile;
const namespace: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bm-app' } };
const netpol: KubeObject = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'bm-default-deny', namespace: 'bm-app' } };
const authz: KubeObject = { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'bm-api', namespace: 'bm-app' } };

function renderLayers(profile: Profile): LayeredScene {
  return {
    scene: [namespace],
    groups: profile.mesh === 'none' ? [{ group: 'cni', objects: [netpol] }] : [{ group: 'cni', objects: [netpol] }, { group: 'mesh', objects: [authz] }],
  };
}

/** `both`: stopped by the CNI policy and by the mesh policy each; `cni-only`: the mesh lets it through (the UID 1337 bypass). */
function scripted(applied: readonly KubeObject[], pod: V1Pod): ScriptedRun {
  const name = pod.metadata?.name ?? '';
  if (name.includes('-control-')) return { signal: 'delivered', delayMs: 5 };
  if (applied.includes(netpol)) return { signal: 'timeout', delayMs: 20, evidence: [{ layer: 'cni', source: 'nft-counter', verdict: 'denied', raw: `drop ${name}` }] };
  if (name.startsWith('both-') && applied.includes(authz)) return { signal: 'http-403', delayMs: 20, evidence: [{ layer: 'mesh-sidecar', source: 'envoy-access-log', verdict: 'denied', raw: `rbac ${name}` }] };
  return { signal: 'delivered', delayMs: 5 };
}

/** Each cluster scripts its attempts from the policies applied to it, as a real stack would. */
function layeredProvider(faults: (applied: () => readonly KubeObject[]) => MemorySceneFaults = () => ({})): ClusterProvider & { created: MemoryCluster[] } {
  const created: MemoryCluster[] = [];
  return {
    name: 'lab',
    created,
    preflight: async () => {},
    create: async (profile) => {
      const cluster: MemoryCluster = new MemoryCluster(profile, (pod) => scripted(cluster.applied, pod), faults(() => cluster.applied));
      created.push(cluster);
      return cluster;
    },
  };
}

const attacks = [syntheticAttack({ id: 'BOTH', expected: EXPECT_BLOCKED_BY_CNI }), syntheticAttack({ id: 'CNIONLY', expected: EXPECT_BLOCKED_BY_CNI })];

async function options(provider: ClusterProvider, profiles: readonly Profile[]): Promise<RunMatrixOptions> {
  const renderScene: RunMatrixOptions['renderScene'] = (profile) => {
    const { scene, groups } = renderLayers(profile);
    return [scene, ...groups.map((group) => group.objects)];
  };
  return testRunOptions({ provider, profiles, attacks, renderScene }, { sceneConvergence: { timeoutMs: 2000, intervalMs: 10 }, depth: { renderLayers } });
}

async function writtenCells(path: string): Promise<Cell[]> {
  const lines = (await readFile(path, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as { type: string; cell?: Cell });
  return lines.filter((line) => line.type === 'cell').map((line) => line.cell as Cell);
}

describe('depth by ablation', () => {
  it('measures each policy group alone on a cluster of its own and writes the depth on the full-stack cell', async () => {
    const provider = layeredProvider();
    const run = await runMatrix(await options(provider, [layered, single]));
    const cells = await writtenCells(run.resultsPath);
    const cell = (profileId: string, attackId: string): Cell | undefined => cells.find((candidate) => candidate.profileId === profileId && candidate.attackId === attackId);

    const both = cell(layered.id, 'BOTH');
    expect(both).toMatchObject({ outcome: 'blocked', blockedBy: 'cni', depth: { count: 2 } });
    expect(both?.depth?.layers.map((entry) => [entry.policies, entry.outcome, entry.blockedBy, entry.stops])).toEqual([
      ['cni', 'blocked', 'cni', true],
      ['mesh', 'blocked', 'mesh-sidecar', true],
    ]);
    // Each pass carries its own attempt's records: its own canary, never the full pass's.
    const canaries = new Set([both?.canary, ...(both?.depth?.layers.map((entry) => entry.canary) ?? [])]);
    expect(canaries.size).toBe(3);
    expect(both?.depth?.layers[1]?.evidence.map((item) => item.layer)).toEqual(['mesh-sidecar']);

    const single1 = cell(layered.id, 'CNIONLY');
    expect(single1).toMatchObject({ outcome: 'blocked', depth: { count: 1 } });
    expect(single1?.depth?.layers.map((entry) => entry.outcome)).toEqual(['blocked', 'allowed']);

    // A stack with one policy group gets no passes and no depth.
    expect(cell(single.id, 'BOTH')?.depth).toBeUndefined();
    // Full lab:netpol+sidecar, its two passes, and lab:netpol: four clusters, each with only its own policies, all torn down.
    expect(provider.created).toHaveLength(4);
    expect(provider.created.map((cluster) => cluster.applied.map((object) => object.kind)).sort()).toEqual(
      [['Namespace', 'AuthorizationPolicy'], ['Namespace', 'NetworkPolicy'], ['Namespace', 'NetworkPolicy'], ['Namespace', 'NetworkPolicy', 'AuthorizationPolicy']].sort(),
    );
    expect(provider.created.every((cluster) => cluster.tornDown)).toBe(true);
    // Depth passes add no cells of their own to the matrix.
    expect(cells).toHaveLength(4);
    // Each pass's self-test is a `scene` line naming the pass, besides each profile's own.
    const scenes = (await readFile(run.resultsPath, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as { type: string; profileId?: string; pass?: { policies: string; phase: string }; passed?: boolean }).filter((line) => line.type === 'scene');
    expect(scenes.filter((line) => line.pass === undefined).map((line) => line.profileId).sort()).toEqual([layered.id, single.id].sort());
    expect(scenes.filter((line) => line.pass !== undefined).map((line) => [line.profileId, line.pass?.policies, line.pass?.phase, line.passed]).sort()).toEqual([
      [layered.id, 'cni', 'fresh-cluster', true],
      [layered.id, 'mesh', 'fresh-cluster', true],
    ]);
  });

  it('runs a pass attempt that ended in error once more, as a whole new attempt with its own canary', async () => {
    const provider = layeredProvider();
    const failures = new Set<MemoryCluster>();
    const flaky: ClusterProvider = {
      ...provider,
      create: async (profile, options) => {
        const cluster = (await provider.create(profile, options)) as MemoryCluster;
        const createPod = cluster.createPod.bind(cluster);
        // The mesh-only pass's first BOTH attempt fails as infrastructure (its pod cannot be made); later ones run.
        cluster.createPod = async (pod) => {
          const name = pod.metadata?.name ?? '';
          if (name.startsWith('both-attempt-') && !cluster.applied.includes(netpol) && !failures.has(cluster)) {
            failures.add(cluster);
            throw new Error('sidecar not ready in time');
          }
          return createPod(pod);
        };
        return cluster;
      },
    };
    const run = await runMatrix({ ...(await options(flaky, [layered])), attacks: attacks.slice(0, 1) });
    const [cell] = await writtenCells(run.resultsPath);
    expect(failures.size).toBe(1);
    expect(cell?.depth).toMatchObject({ count: 2 });
    expect(cell?.depth?.layers[1]).toMatchObject({ policies: 'mesh', outcome: 'blocked', blockedBy: 'mesh-sidecar', stops: true });
  });

  it('fails closed when a pass cannot prove its preconditions: no count, the reason, the full cell still written', async () => {
    // On the pass clusters (one policy group applied), a flow the policies must deny stays allowed.
    const onePolicyGroup = (applied: readonly KubeObject[]): boolean => applied.includes(netpol) !== applied.includes(authz);
    const provider = layeredProvider((applied) => ({
      probe: (checkId, phase) => (checkId === 'intruder-api' && phase === 'after-policies' && onePolicyGroup(applied()) ? { signal: 'http-ok' } : undefined),
    }));
    const run = await runMatrix(await options(provider, [layered]));
    const cells = await writtenCells(run.resultsPath);
    expect(cells).toHaveLength(2);
    for (const cell of cells) {
      expect(cell.outcome).toBe('blocked');
      expect(cell.depth?.count).toBeUndefined();
      expect(cell.depth?.incomplete).toMatch(/^cni-only pass error: did not run: scene self-test of the pass failed .*; mesh-only pass error: did not run: scene self-test/);
      expect(cell.depth?.layers.every((entry) => entry.outcome === 'error' && !entry.stops)).toBe(true);
    }
    expect(provider.created.every((cluster) => cluster.tornDown)).toBe(true);
  });
});
