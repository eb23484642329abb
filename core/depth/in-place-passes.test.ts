import type { V1Pod } from '@kubernetes/client-node';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryCluster, type MemorySceneFaults, type ScriptedRun } from '../../clusters/memory/memory-cluster.ts';
import { renderLayeredScene, renderSceneObjects } from '../../manifests/render-scene-objects.ts';
import { loadKindProfiles } from '../config/testing/all-profiles.ts';
import type { Cell } from '../domain/cell.ts';
import type { ClusterProvider, KubeObject } from '../domain/cluster.ts';
import { withPolicyStrength, type Profile } from '../domain/profile.ts';
import type { SceneSelfTestLine } from '../domain/scene-self-test.ts';
import { objectLabel } from '../scene-check/read-back-check.ts';
import { runMatrix, type RunMatrixOptions } from '../runner/run-matrix.ts';
import { EXPECT_BLOCKED_BY_CNI, syntheticAttack } from '../runner/testing/synthetic-attack.ts';
import { testRunOptions } from '../runner/testing/test-run-options.ts';
import { ablationPlan } from './ablation-plan.ts';

const PROFILE_ID = 'calico+istio-sidecar';

async function layeredProfile(): Promise<Profile> {
  const profile = (await loadKindProfiles()).find((candidate) => candidate.id === PROFILE_ID);
  if (profile === undefined) throw new Error(`no profile ${PROFILE_ID}`);
  return profile;
}

const holds = (applied: readonly KubeObject[], kind: string): boolean => applied.some((object) => object.kind === kind);

/** The attempt as a real stack would answer it, from the policies applied right now: `both-` is stopped by each layer, `cnionly-` only by the CNI. */
function scripted(applied: readonly KubeObject[], pod: V1Pod): ScriptedRun {
  const name = pod.metadata?.name ?? '';
  if (name.includes('-control-')) return { signal: 'delivered', delayMs: 5 };
  if (holds(applied, 'NetworkPolicy')) return { signal: 'timeout', delayMs: 10, evidence: [{ layer: 'cni', source: 'nft-counter', verdict: 'denied', raw: `drop ${name}` }] };
  if (name.startsWith('both-') && holds(applied, 'AuthorizationPolicy')) return { signal: 'http-403', delayMs: 10, evidence: [{ layer: 'mesh-sidecar', source: 'envoy-access-log', verdict: 'denied', raw: `rbac ${name}` }] };
  return { signal: 'delivered', delayMs: 5 };
}

/** What happened to the cluster, in order: policy removals, re-applications and attack attempts. */
type Event = string;

function kubeLikeProvider(timeline: Event[], faults: (cluster: MemoryCluster) => MemorySceneFaults = () => ({})): ClusterProvider & { created: MemoryCluster[] } {
  const created: MemoryCluster[] = [];
  return {
    name: 'kind',
    created,
    preflight: async () => {},
    create: async (profile) => {
      let cluster: MemoryCluster | undefined;
      const made: MemoryCluster = new MemoryCluster(profile, (pod) => scripted(made.applied, pod), { probe: (id, phase) => (cluster === undefined ? undefined : faults(cluster).probe?.(id, phase)), live: (sent, healthy) => (cluster === undefined || faults(cluster).live === undefined ? healthy : faults(cluster).live?.(sent, healthy)) });
      cluster = made;
      const apply = made.apply.bind(made);
      const removeApplied = made.removeApplied.bind(made);
      const createPod = made.createPod.bind(made);
      made.apply = async (objects) => {
        timeline.push(`apply ${objects.length}: ${[...new Set(objects.map((object) => object.kind))].join(',')}`);
        await apply(objects);
      };
      made.removeApplied = async (objects) => {
        timeline.push(`remove ${objects.length}: ${[...new Set(objects.map((object) => object.kind))].join(',')}`);
        await removeApplied(objects);
      };
      made.createPod = async (pod, podOptions) => {
        const name = pod.metadata?.name ?? '';
        if (/^(both|cnionly)-attempt-/.test(name)) timeline.push(`attack ${name.split('-attempt-')[0]} (${holds(made.applied, 'NetworkPolicy') ? 'cni' : '-'}/${holds(made.applied, 'AuthorizationPolicy') ? 'mesh' : '-'})`);
        return createPod(pod, podOptions);
      };
      created.push(made);
      return made;
    },
  };
}

const attacks = [syntheticAttack({ id: 'BOTH', expected: EXPECT_BLOCKED_BY_CNI }), syntheticAttack({ id: 'CNIONLY', expected: EXPECT_BLOCKED_BY_CNI })];

async function options(provider: ClusterProvider, profile: Profile): Promise<RunMatrixOptions> {
  return testRunOptions({ provider, profiles: [profile], attacks, renderScene: renderSceneObjects }, {
    outDir: await mkdtemp(join(tmpdir(), 'bm-depth-in-place-')),
    concurrency: 1,
    profileConcurrency: 1,
    // Above two denied sink probes (each waits TIMEOUTS.sinkSettleMs for a record that never comes).
    sceneConvergence: { timeoutMs: 4000, intervalMs: 10 },
    depth: { renderLayers: renderLayeredScene, ablation: 'in-place' },
  });
}

interface Written {
  readonly lines: { type: string; cell?: Cell; pass?: SceneSelfTestLine['pass'] }[];
  readonly cells: Cell[];
  readonly passScenes: SceneSelfTestLine[];
}

async function written(path: string): Promise<Written> {
  const lines = (await readFile(path, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as Written['lines'][number]);
  return {
    lines,
    cells: lines.filter((line) => line.type === 'cell').map((line) => line.cell as Cell),
    passScenes: lines.filter((line) => line.type === 'scene' && line.pass !== undefined) as unknown as SceneSelfTestLine[],
  };
}

describe('depth by ablation in place (kube providers)', () => {
  it('after the full pass, per group: deletes the other groups\' policies, proves it, attacks, re-applies, proves the stack back', async () => {
    const profile = await layeredProfile();
    const layered = renderLayeredScene(profile);
    const timeline: Event[] = [];
    const provider = kubeLikeProvider(timeline);
    const run = await runMatrix(await options(provider, profile));
    const { lines, cells, passScenes } = await written(run.resultsPath);

    // One cluster: the passes run on the run's own, never on one of their own.
    expect(provider.created).toHaveLength(1);
    const cluster = provider.created[0] as MemoryCluster;
    const mesh = ablationPlan(layered, 'cni').remove;
    const cni = ablationPlan(layered, 'mesh').remove;
    expect(mesh.map((object) => object.kind).sort()).toEqual(['AuthorizationPolicy', 'AuthorizationPolicy', 'AuthorizationPolicy', 'AuthorizationPolicy', 'PeerAuthentication', 'Sidecar', 'Sidecar']);
    expect(new Set(cni.map((object) => object.kind))).toEqual(new Set(['NetworkPolicy', 'GlobalNetworkPolicy']));
    // Exactly those objects went, each pass's own, and came back in the same bodies.
    expect(cluster.removals).toEqual([mesh, cni]);
    expect(timeline).toEqual([
      expect.stringMatching(/^apply \d+: Namespace/),
      'apply 13: NetworkPolicy,GlobalNetworkPolicy',
      'apply 7: PeerAuthentication,Sidecar,AuthorizationPolicy',
      'attack both (cni/mesh)',
      'attack cnionly (cni/mesh)',
      'remove 7: PeerAuthentication,Sidecar,AuthorizationPolicy',
      'attack both (cni/-)',
      'attack cnionly (cni/-)',
      'apply 7: PeerAuthentication,Sidecar,AuthorizationPolicy',
      'remove 13: NetworkPolicy,GlobalNetworkPolicy',
      'attack both (-/mesh)',
      'attack cnionly (-/mesh)',
      'apply 13: NetworkPolicy,GlobalNetworkPolicy',
    ]);
    expect(cluster.applied.slice(-13)).toEqual(cni);
    expect(cluster.applied).toHaveLength([...layered.scene, ...layered.groups.flatMap((group) => group.objects)].length);

    // The self-test tables of the passes, each naming its pass, all before the cells they concern.
    expect(passScenes.map((scene) => [scene.pass?.policies, scene.pass?.phase, scene.passed])).toEqual([
      ['cni', 'ablated', true],
      ['cni', 'restored', true],
      ['mesh', 'ablated', true],
      ['mesh', 'restored', true],
    ]);
    expect(passScenes[0]?.pass?.objects).toEqual(mesh.map(objectLabel));
    const ablated = passScenes[0]?.checks ?? [];
    expect(ablated.find((check) => check.kind === 'absent')).toMatchObject({ passed: true, observed: '7 of 7 absent' });
    expect(ablated.filter((check) => check.kind === 'layer-probe').map((check) => [check.name.split(' (')[0], check.expected.split(' twice')[0], check.passed])).toEqual([
      ['rogue → sink:9000/tcp', 'denied', true],
      ['frontend → api:8080 GET /admin/bm-depth-check', 'allowed', true],
    ]);
    const restored = passScenes[1]?.checks ?? [];
    expect(restored.filter((check) => check.kind === 'layer-probe').every((check) => check.expected.startsWith('denied') && check.passed)).toBe(true);
    const firstCell = lines.findIndex((line) => line.type === 'cell');
    expect(lines.findLastIndex((line) => line.type === 'scene')).toBeLessThan(firstCell);

    const cell = (attackId: string): Cell | undefined => cells.find((candidate) => candidate.attackId === attackId);
    expect(cell('BOTH')).toMatchObject({ outcome: 'blocked', blockedBy: 'cni', depth: { count: 2 } });
    expect(cell('BOTH')?.depth?.layers.map((entry) => [entry.policies, entry.outcome, entry.blockedBy, entry.stops])).toEqual([
      ['cni', 'blocked', 'cni', true],
      ['mesh', 'blocked', 'mesh-sidecar', true],
    ]);
    expect(cell('CNIONLY')).toMatchObject({ outcome: 'blocked', depth: { count: 1 } });
    expect(cell('CNIONLY')?.depth?.layers.map((entry) => entry.outcome)).toEqual(['blocked', 'allowed']);
    expect(cluster.tornDown).toBe(true);
  }, 60_000);

  it('a pass whose deletion is not proven runs no attack: its cells are errors naming the failed probe, and the stack is still restored', async () => {
    const profile = await layeredProfile();
    const timeline: Event[] = [];
    // The mesh's /admin DENY keeps answering 403 after its policies were deleted (a proxy that never got the update).
    const provider = kubeLikeProvider(timeline, () => ({ probe: (id) => (id === 'layer-mesh' ? { signal: 'http-403' } : undefined) }));
    const run = await runMatrix(await options(provider, profile));
    const { cells, passScenes } = await written(run.resultsPath);
    expect(timeline.filter((event) => event.startsWith('attack')).slice(2)).toEqual(['attack both (-/mesh)', 'attack cnionly (-/mesh)']);
    expect(passScenes.map((scene) => [scene.pass?.policies, scene.pass?.phase, scene.passed])).toEqual([
      ['cni', 'ablated', false],
      ['cni', 'restored', true],
      ['mesh', 'ablated', true],
      ['mesh', 'restored', true],
    ]);
    for (const cell of cells) {
      expect(cell.depth?.count).toBeUndefined();
      expect(cell.depth?.layers[0]).toMatchObject({ policies: 'cni', outcome: 'error', stops: false });
      expect(cell.depth?.layers[0]?.reason).toMatch(/^did not run: ablation not proven by the pass self-test: 1 of \d+ checks failed: frontend → api:8080 GET \/admin\/bm-depth-check .*expected allowed twice in a row/);
      expect(cell.depth?.incomplete).toMatch(/^cni-only pass error: did not run: ablation not proven/);
    }
  }, 60_000);

  it('a restoration that is not proven withdraws the pass\'s cells and runs no later pass on the unproven cluster', async () => {
    const profile = await layeredProfile();
    const timeline: Event[] = [];
    // Once the mesh policies were deleted, their re-application never reads back (an apply the API server lost).
    const provider = kubeLikeProvider(timeline, (cluster) => ({
      live: (sent, healthy) => (cluster.removals.length > 0 && sent.kind === 'AuthorizationPolicy' ? undefined : healthy),
    }));
    const run = await runMatrix(await options(provider, profile));
    const { cells, passScenes } = await written(run.resultsPath);
    // The mesh-only pass never deleted the CNI policies: the cluster was left as restored, not ablated further.
    expect((provider.created[0] as MemoryCluster).removals).toHaveLength(1);
    expect(timeline.filter((event) => event.startsWith('attack') || event.startsWith('remove'))).toEqual([
      'attack both (cni/mesh)',
      'attack cnionly (cni/mesh)',
      'remove 7: PeerAuthentication,Sidecar,AuthorizationPolicy',
      'attack both (cni/-)',
      'attack cnionly (cni/-)',
    ]);
    expect(passScenes.map((scene) => [scene.pass?.policies, scene.pass?.phase, scene.passed])).toEqual([
      ['cni', 'ablated', true],
      ['cni', 'restored', false],
    ]);
    expect(passScenes[1]?.checks.find((check) => check.kind === 'read-back')).toMatchObject({ passed: false, observed: expect.stringMatching(/^4 of \d+ differ$/) });
    for (const cell of cells) {
      // The full pass's verdict stands (measured before any deletion); no depth is claimed.
      expect(cell.outcome).toBe('blocked');
      expect(cell.depth?.count).toBeUndefined();
      expect(cell.depth?.atLeast).toBe(0);
      expect(cell.depth?.layers.map((entry) => [entry.outcome, entry.stops])).toEqual([['error', false], ['error', false]]);
      expect(cell.depth?.layers[0]?.reason).toMatch(/^voided: restoration after the cni-only pass not proven by the self-test: .*read-back of every applied object/);
      expect(cell.depth?.layers[1]?.reason).toMatch(/^did not run: restoration after the cni-only pass not proven/);
    }
  }, 60_000);

  it('hardened (three groups): the admission group loses only its ValidatingAdmissionPolicyBinding, and each group\'s probe proves which are in force', async () => {
    const profile = withPolicyStrength(await layeredProfile(), 'hardened');
    const layered = renderLayeredScene(profile);
    expect(layered.groups.map((group) => group.group)).toEqual(['admission', 'cni', 'mesh']);
    const timeline: Event[] = [];
    // The scene's forbidden flows, as the stack decides them: denied while a CNI or mesh policy is applied, else allowed.
    const provider = kubeLikeProvider(timeline, (cluster) => ({
      probe: (id, phase) => (['intruder-api', 'rogue-db'].includes(id) && phase === 'after-policies' ? (holds(cluster.applied, 'NetworkPolicy') || holds(cluster.applied, 'AuthorizationPolicy') ? { signal: 'timeout' } : { signal: 'http-ok' }) : undefined),
    }));
    const run = await runMatrix(await options(provider, profile));
    const { cells, passScenes } = await written(run.resultsPath);
    const cluster = provider.created[0] as MemoryCluster;
    expect(cluster.removals.map((objects) => [...new Set(objects.map((object) => object.kind))])).toEqual([
      ['NetworkPolicy', 'GlobalNetworkPolicy', 'PeerAuthentication', 'Sidecar', 'AuthorizationPolicy'],
      ['ValidatingAdmissionPolicyBinding', 'PeerAuthentication', 'Sidecar', 'AuthorizationPolicy'],
      ['ValidatingAdmissionPolicyBinding', 'NetworkPolicy', 'GlobalNetworkPolicy'],
    ]);
    // The policy itself and its params never leave: without its binding it refuses nothing.
    expect(cluster.removals.flat().some((object) => object.kind === 'ValidatingAdmissionPolicy' || object.kind === 'ConfigMap')).toBe(false);
    const failed = JSON.stringify(passScenes.flatMap((scene) => scene.checks.filter((check) => !check.passed)));
    expect(passScenes.map((scene) => [scene.pass?.policies, scene.pass?.phase, scene.passed]), failed).toEqual([
      ['admission', 'ablated', true],
      ['admission', 'restored', true],
      ['cni', 'ablated', true],
      ['cni', 'restored', true],
      ['mesh', 'ablated', true],
      ['mesh', 'restored', true],
    ]);
    const probes = (index: number): string[] => (passScenes[index]?.checks ?? []).filter((check) => check.kind === 'layer-probe').map((check) => `${check.name.split(' (')[0]}: ${check.expected.split(' twice')[0]}`);
    expect(probes(0)).toEqual(['pod in bm-app with runAsUser 1337: denied', 'rogue → sink:9000/tcp: allowed', 'frontend → api:8080 GET /admin/bm-depth-check: allowed']);
    expect(probes(2)).toEqual(['pod in bm-app with runAsUser 1337: allowed', 'rogue → sink:9000/tcp: denied', 'frontend → api:8080 GET /admin/bm-depth-check: allowed']);
    expect(probes(4)).toEqual(['pod in bm-app with runAsUser 1337: allowed', 'rogue → sink:9000/tcp: allowed', 'frontend → api:8080 GET /admin/bm-depth-check: denied']);
    expect(probes(5)).toEqual(['pod in bm-app with runAsUser 1337: denied', 'rogue → sink:9000/tcp: denied', 'frontend → api:8080 GET /admin/bm-depth-check: denied']);
    // With only admission left, the scene's forbidden flows are expected (and seen) allowed.
    expect(passScenes[0]?.checks.filter((check) => check.kind === 'allowed-flow').map((check) => check.name)).toEqual(['frontend → api:8080/http', 'intruder → api:8080/http', 'rogue → db:5432/tcp']);
    const both = cells.find((cell) => cell.attackId === 'BOTH');
    expect(both?.depth?.layers.map((entry) => [entry.policies, entry.outcome, entry.stops])).toEqual([
      ['admission', 'allowed', false],
      ['cni', 'blocked', true],
      ['mesh', 'blocked', true],
    ]);
    expect(both?.depth?.count).toBe(2);
  }, 90_000);
});
