import { appendFileSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../core/cli/main.ts';
import type { KubeObject, SinkRecord } from '../../core/domain/cluster.ts';
import { EXIT } from '../../core/domain/errors.ts';
import type { Profile } from '../../core/domain/profile.ts';
import { loadKindProfiles } from '../../core/config/testing/all-profiles.ts';
import { SCENE_CHECK_LABEL } from '../../core/scene-check/scene-flows.ts';
import { renderLayeredScene, renderSceneObjects } from '../../manifests/render-scene-objects.ts';
import { SCENE } from '../../manifests/scene.ts';
import { startSimulatedApiServer, kindsOf, resourceOf, type ExecAnswer, type ExecCall, type SimulatedApiServer } from '../k8s/testing/simulated-api-server.ts';
import { loadKindPins, type KindPins } from './pins-tools.ts';
import { planKindProfile } from './plan/plan-kind-profile.ts';
import type { KindPlan } from './plan/plan-types.ts';
import { installStandInTools, type StandInTools } from './testing/stand-in-tools.ts';

/**
 * A REHEARSAL of `breachmatrix run --provider kind`, without Docker: the real CLI (doctor gate, provider, plan
 * executor, client-node against an HTTPS API server, scene self-test, runner) with stand-in `docker`, `kind` and
 * `helm` first on PATH, a simulated API server that reports every object converged at once, and testcontainers
 * (which starts the sink over the Docker API, not the docker CLI) replaced by a stand-in sink on loopback. Probe
 * answers are scripted by this test. It proves ORCHESTRATION — which tools are called, in which order, with which
 * arguments and files, and which objects reach the API server — and NOT dataplane behaviour: no chart, CNI, CoreDNS
 * or policy ever runs here, so the attack cells it reaches are errors, never verdicts.
 */

const standIn = vi.hoisted(() => ({
  callsLog: '',
  sinkIp: '',
}));

// A state the self-test cannot prove is waited for up to the convergence budget: 120 s for a real cluster, a few seconds
// here, where every probe answers at once (above two denied sink probes of TIMEOUTS.sinkSettleMs each).
vi.mock('../../core/timeouts.ts', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../core/timeouts.ts')>();
  return { TIMEOUTS: { ...actual.TIMEOUTS, convergenceMs: 15_000 } };
});

vi.mock('testcontainers', () => {
  class GenericContainer {
    private readonly words: string[];
    private name = '';
    constructor(image: string) {
      this.words = [image];
    }
    withName(name: string): this {
      this.name = name;
      this.words.push(`--name=${name}`);
      return this;
    }
    withNetworkMode(network: string): this {
      this.words.push(`--network=${network}`);
      return this;
    }
    withLabels(): this {
      return this;
    }
    withEnvironment(): this {
      return this;
    }
    withCommand(command: string[]): this {
      this.words.push(...command);
      return this;
    }
    withReuse(): this {
      this.words.push('--reuse');
      return this;
    }
    async start(): Promise<{ getIpAddress: () => string; stop: () => Promise<void> }> {
      appendFileSync(standIn.callsLog, `testcontainers\tstart\t${this.words.join('\t')}\n`);
      const name = this.name;
      return {
        getIpAddress: () => standIn.sinkIp,
        stop: async () => appendFileSync(standIn.callsLog, `testcontainers\tstop\t${name}\n`),
      };
    }
  }
  return { GenericContainer };
});

/** The doctor checks that read this host, not the stand-ins: waived the documented way. */
const HOST_CHECKS = ['kind.memory', 'kind.disk', 'kind.inotify', 'kind.cgroup-v2'];
const ATTACK = 'EG2';
/** A stack with two policy groups (CNI and mesh): `--depth` gives it one in-place pass per group. */
const DEPTH_PROFILE = 'calico+istio-sidecar';
const DOCKER_VERSION = '27.5.1';

let dir: string;
let tools: StandInTools & { env: Record<string, string> };
let api: SimulatedApiServer;
let sink: Server;
let pins: KindPins;
const sinkRecords = new Map<string, SinkRecord[]>();
const policyKeys = new Set<string>();
/** Where the current rehearsal's applies start in api.applies (an earlier profile's policies do not count). */
let firstApplyOfRun = 0;

function keyOf(object: KubeObject): string {
  return `${object.kind}/${object.metadata.namespace ?? ''}/${object.metadata.name}`;
}

/** Faults a rehearsal injects into the scripted dataplane: from this index of api.deletes on, a deleted AuthorizationPolicy leaves the mesh open for good. */
const rehearsalFaults: { meshOpenOnceDeletedFrom?: number } = {};

function meshLeftOpen(): boolean {
  const from = rehearsalFaults.meshOpenOnceDeletedFrom;
  return from !== undefined && api.deletes.slice(from).some((entry) => entry.path.includes('/authorizationpolicies/'));
}

function storedKinds(): Set<string> {
  return new Set([...api.stored.values()].map((object) => object.kind));
}

function result(signal: string, detail: string): ExecAnswer {
  return { stdout: `BM-RESULT ${JSON.stringify({ signal, detail, exit: 0 })}\n`, exitCode: 0 };
}

/** What the policies would make of each scene probe; the sink probes leave a record, as the real sink would. */
function scriptedProbe(call: ExecCall): ExecAnswer {
  const check = call.pod.metadata.labels?.[SCENE_CHECK_LABEL];
  const canary = call.env['CANARY'] ?? '';
  const from = (call.pod['status'] as { podIP?: string } | undefined)?.podIP ?? '';
  const policiesApplied = api.applies.slice(firstApplyOfRun).some((apply) => policyKeys.has(keyOf(JSON.parse(apply.body) as KubeObject)));
  const record = (protocol: SinkRecord['protocol']): void => {
    sinkRecords.set(canary, [...(sinkRecords.get(canary) ?? []), { canary, protocol, from, at: new Date().toISOString() }]);
  };
  switch (check) {
    case 'frontend-api':
      return result('http-ok', 'rehearsal: scripted');
    case 'intruder-api':
      return policiesApplied ? result('timeout', 'rehearsal: scripted') : result('http-ok', 'rehearsal: scripted');
    case 'rogue-db':
      return policiesApplied ? result('timeout', 'rehearsal: scripted') : result('connected', 'rehearsal: scripted');
    case 'metadata':
      record('http');
      return result('http-ok', 'rehearsal: scripted');
    case 'dns-exfil':
      record('dns');
      return result('delivered', 'rehearsal: scripted');
    // Depth passes' layer probes: decided by what the API server holds right now, as the layer would be.
    case 'layer-cni':
      if (storedKinds().has('NetworkPolicy')) return result('timeout', 'rehearsal: scripted');
      record('tcp');
      return result('connected', 'rehearsal: scripted');
    case 'layer-mesh':
      return storedKinds().has('AuthorizationPolicy') && !meshLeftOpen() ? result('http-403', 'rehearsal: scripted') : result('http-ok', 'rehearsal: scripted');
    default:
      return result('error', 'rehearsal: no dataplane here');
  }
}

async function profileNamed(id: string): Promise<Profile> {
  const profile = (await loadKindProfiles()).find((candidate) => candidate.id === id);
  if (profile === undefined) throw new Error(`no profile ${id}`);
  return profile;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bm-rehearsal-'));
  pins = await loadKindPins();
  const profiles = await Promise.all(['calico', 'istio-ambient', DEPTH_PROFILE].map(profileNamed));
  const objects: KubeObject[] = [];
  for (const profile of profiles) {
    const plan = planKindProfile(profile, pins, { runId: 'discovery' });
    objects.push(...plan.steps.flatMap((step) => (step.kind === 'apply' ? step.objects : [])));
    // What the plan waits for but nobody applies (chart workloads, the operator's status) must be served too.
    for (const step of plan.steps) {
      if (step.kind === 'wait') objects.push({ apiVersion: step.what.apiVersion, kind: step.what.kind, metadata: { name: step.what.name, ...(step.what.namespace === undefined ? {} : { namespace: step.what.namespace }) } });
    }
    const [scene = [], ...policies] = renderSceneObjects(profile);
    objects.push(...scene, ...policies.flat());
    for (const object of policies.flat()) policyKeys.add(keyOf(object));
  }
  api = await startSimulatedApiServer({ kinds: kindsOf(objects), exec: scriptedProbe, onApplied: (path) => appendFileSync(standIn.callsLog, `api\tapply\t${path}\n`) });
  const kubeconfig = join(dir, 'apiserver-kubeconfig');
  await writeFile(kubeconfig, api.kubeConfig.exportConfig(), { mode: 0o600 });
  tools = await installStandInTools({ dir, kubeconfig, kindVersion: pins.tools.kind.version, helmVersion: pins.tools.helm.version, dockerVersion: DOCKER_VERSION });
  standIn.callsLog = join(dir, 'calls.log');
  // The sink's query API on a loopback address of its own (127/8), at the port the harness queries.
  standIn.sinkIp = `127.${20 + Math.floor(Math.random() * 200)}.${1 + Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;
  sink = createServer((request, response) => {
    const canary = /^\/canaries\/([^/]+)$/.exec(request.url ?? '')?.[1];
    const body = request.url === '/healthz' ? { status: 'ok' } : canary !== undefined ? { canary, records: sinkRecords.get(canary) ?? [] } : { cleared: 0 };
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => sink.listen(SCENE.sink.queryPort, standIn.sinkIp, resolve));
});

afterAll(async () => {
  await new Promise<void>((resolve) => sink.close(() => resolve()));
  await api[Symbol.asyncDispose]();
  await rm(dir, { recursive: true, force: true });
});

interface Rehearsal {
  readonly exitCode: number;
  readonly calls: string[][];
  readonly plan: KindPlan;
  readonly results: Record<string, unknown>[];
  readonly stderr: string;
  readonly appliesBefore: number;
  readonly requestsBefore: number;
}

async function rehearse(profileId: string, extraArgs: readonly string[] = [], outName = profileId): Promise<Rehearsal> {
  const out = join(dir, `out-${outName}`);
  await writeFile(standIn.callsLog, '');
  const appliesBefore = api.applies.length;
  firstApplyOfRun = appliesBefore;
  const requestsBefore = api.requests.length;
  const saved = { path: process.env['PATH'], tmpdir: process.env['TMPDIR'], exitCode: process.exitCode };
  // The provider's work directory (plan files, kubeconfig) goes under this test's own directory, removed afterwards.
  process.env['TMPDIR'] = dir;
  const env = Object.entries(tools.env);
  for (const [key, value] of env) process.env[key] = value;
  process.env['PATH'] = `${tools.binDir}:${saved.path ?? ''}`;
  const stderr: string[] = [];
  const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr.push(String(chunk));
    return true;
  });
  let exitCode: number;
  try {
    exitCode = await main(['run', '--provider', 'kind', '--profile', profileId, '--attack', ATTACK, '--out', out, '--skip-check', HOST_CHECKS.join(','), ...extraArgs], 'rehearsal');
  } finally {
    write.mockRestore();
    process.env['PATH'] = saved.path;
    if (saved.tmpdir === undefined) Reflect.deleteProperty(process.env, 'TMPDIR');
    else process.env['TMPDIR'] = saved.tmpdir;
    for (const [key] of env) Reflect.deleteProperty(process.env, key);
    process.exitCode = saved.exitCode;
  }
  const calls = await tools.calls();
  // The provider worked in its own directory under the test's TMPDIR, and removed it on teardown.
  const workDir = (await readFile(join(tools.givenDir, 'kind-create-cwd'), 'utf8').catch(() => '')).trim();
  expect(workDir.startsWith(join(dir, 'breachmatrix-bm-')), `kind ran in ${workDir}`).toBe(true);
  expect((await readdir(dir)).filter((name) => name.startsWith('breachmatrix-bm-')), 'the work directory is removed on teardown').toEqual([]);
  const create = calls.find((call) => call[0] === 'kind' && call[1] === 'create');
  const clusterName = create?.[create.indexOf('--name') + 1] ?? '';
  const runId = clusterName.slice('bm-'.length, -`-${profileId.replace(/[^a-z0-9]+/g, '-')}`.length);
  const plan = planKindProfile(await profileNamed(profileId), pins, { runId, sinkIp: standIn.sinkIp, dockerServerVersion: DOCKER_VERSION, nodePlatform: `linux/${process.arch === 'x64' ? 'amd64' : process.arch}` });
  const resultsFile = (await readdir(out)).includes('results.jsonl') ? await readFile(join(out, 'results.jsonl'), 'utf8') : '';
  const results = resultsFile.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, unknown>);
  return { exitCode, calls, plan, results, stderr: stderr.join(''), appliesBefore, requestsBefore };
}

/** The plan's tool calls and side containers, in order, as the stand-ins log them. */
function expectedToolCalls(plan: KindPlan): string[][] {
  return plan.steps.flatMap((step): string[][] => {
    if (step.kind === 'exec') return [[step.tool, ...step.args]];
    if (step.kind === 'container') return [['testcontainers', 'start', step.image, `--name=${step.name}`, `--network=${step.network}`, ...step.command, ...(step.reuse ? ['--reuse'] : [])]];
    return [];
  });
}

async function checkRehearsal(profileId: string, rehearsal: Rehearsal): Promise<void> {
  const { calls, plan } = rehearsal;
  // The doctor gate and the provider's preparation ran against the stand-ins first (engine version, pinned tools).
  const createAt = calls.findIndex((call) => call[0] === 'kind' && call[1] === 'create');
  expect(createAt, rehearsal.stderr).toBeGreaterThan(0);
  const before = calls.slice(0, createAt).map((call) => call.slice(0, 2).join(' '));
  expect(before).toEqual(expect.arrayContaining(['docker version', 'kind version', 'helm version']));
  // Every tool call of the plan, in the plan's order, with the plan's arguments; then the teardown.
  const toolCalls = calls.filter((call) => call[0] !== 'api');
  const expected = expectedToolCalls(plan);
  const fromCreate = toolCalls.slice(toolCalls.findIndex((call) => call[0] === 'kind' && call[1] === 'create'));
  expect(fromCreate.slice(0, expected.length), rehearsal.stderr).toEqual(expected);
  expect(fromCreate.slice(expected.length)).toEqual([
    ['kind', 'delete', 'cluster', '--name', plan.clusterName],
    ['testcontainers', 'stop', `${plan.clusterName}-sink`],
  ]);
  // kind was given the plan's config: every node on the pinned node image, by digest.
  const kindConfig = await readFile(join(tools.givenDir, 'kind-config.yaml'), 'utf8');
  expect(kindConfig).toBe(plan.files.find((file) => file.path === 'kind-config.yaml')?.content);
  expect(plan.nodeImage).toMatch(/@sha256:[0-9a-f]{64}$/);
  expect(plan.nodeImage).toBe(pins.nodeImages['pinned']);
  expect(kindConfig.split(`image: ${plan.nodeImage}`).length - 1).toBe(1 + plan.profile.options.workers);
  // helm got each chart at its pinned version with the plan's values file.
  for (const call of toolCalls.filter((candidate) => candidate[0] === 'helm' && candidate[1] === 'upgrade')) {
    const release = call[3] ?? '';
    const valuesPath = call[call.indexOf('--values') + 1] ?? '';
    expect(await readFile(join(tools.givenDir, `values-${release}.yaml`), 'utf8')).toBe(plan.files.find((file) => file.path === valuesPath)?.content);
  }
  // Every object the provider applied reached the API server exactly as the plan rendered it, in the plan's order.
  const applies = api.applies.slice(rehearsal.appliesBefore);
  const planned = plan.steps.flatMap((step) => (step.kind === 'apply' ? step.objects : []));
  const sent = applies.map((apply) => JSON.parse(apply.body) as KubeObject);
  expect(sent.slice(0, planned.length)).toEqual(planned);
  for (const apply of applies) {
    expect(apply.contentType).toBe('application/apply-patch+yaml');
    expect(apply.fieldManager).toBe('breachmatrix');
  }
  // Then the scene and every policy layer, each object byte for byte as manifests/ rendered it.
  const layers = renderSceneObjects(plan.profile).flat();
  // (Depth passes re-apply policy objects after these: their own test checks those.)
  const rest = sent.slice(planned.length, planned.length + layers.length);
  expect(rest.map(keyOf).sort()).toEqual(layers.map(keyOf).sort());
  for (const object of layers) expect(rest.find((candidate) => keyOf(candidate) === keyOf(object))).toEqual(object);
  // The scene self-test passed, then the first attack ran; with no dataplane its cell is an error, not a verdict.
  const scene = rehearsal.results.find((line) => line['type'] === 'scene' && line['pass'] === undefined);
  expect(scene, rehearsal.stderr).toMatchObject({ profileId, passed: true });
  const cell = rehearsal.results.find((line) => line['type'] === 'cell' && (line['cell'] as { attackId?: string } | undefined)?.attackId === ATTACK)?.['cell'] as { outcome?: string } | undefined;
  expect(cell, rehearsal.stderr).toBeDefined();
  expect(['blocked', 'allowed']).not.toContain(cell?.outcome);
  // A run whose cells are errors is never green: not 0, and not a refusal of the input (2).
  expect([EXIT.unexpected, EXIT.infrastructure]).toContain(rehearsal.exitCode);
  // The scene's probe pods were created and exec'd first; then the first attack's own pod.
  // (Until a depth pass deletes its first policy object: its own self-test pods come after the attacks.)
  const all = api.requests.slice(rehearsal.requestsBefore);
  const firstPolicyDelete = all.findIndex((request) => request.startsWith('DELETE ') && !request.includes('/pods/'));
  const requests = firstPolicyDelete < 0 ? all : all.slice(0, firstPolicyDelete);
  const lastSceneExec = requests.findLastIndex((request) => request.startsWith('UPGRADE ') && request.includes('/pods/bm-scene-'));
  const firstAttackPod = requests.findIndex((request) => request.includes(`metadata.name%3Dbm-${ATTACK.toLowerCase()}-`));
  expect(lastSceneExec).toBeGreaterThan(0);
  expect(firstAttackPod).toBeGreaterThan(lastSceneExec);
}

describe('rehearsal of `run --provider kind` without Docker (orchestration only, no dataplane)', () => {
  it('calico: doctor, kind, images, sink, the tigera-operator chart, the Installation, CoreDNS, metadata DNAT, scene self-test, first attack', async () => {
    const rehearsal = await rehearse('calico');
    await checkRehearsal('calico', rehearsal);
  }, 60_000);

  it('istio-ambient: the vendored Gateway API files are applied (and Established) before istio-base, then base, istiod, cni, ztunnel at the pinned version', async () => {
    const rehearsal = await rehearse('istio-ambient');
    await checkRehearsal('istio-ambient', rehearsal);
    const { calls, plan } = rehearsal;
    const gatewayApi = plan.steps.flatMap((step) => (step.kind === 'apply' && step.component === 'gateway-api' ? step.objects : []));
    expect(gatewayApi.length).toBeGreaterThan(0);
    const appliedAt = gatewayApi.map((object) => calls.findIndex((call) => call[0] === 'api' && call[1] === 'apply' && call[2]?.endsWith(`/${object.metadata.name}`) === true));
    expect(appliedAt).not.toContain(-1);
    const helmCharts = calls.flatMap((call, index) => (call[0] === 'helm' && call[1] === 'upgrade' ? [{ chart: call[4], version: call[call.indexOf('--version') + 1], index }] : []));
    expect(helmCharts.map(({ chart, version }) => `${chart}@${version}`)).toEqual(['base', 'istiod', 'cni', 'ztunnel'].map((chart) => `${chart}@${plan.profile.versions.istio}`));
    expect(Math.max(...appliedAt)).toBeLessThan(helmCharts[0]?.index ?? -1);
    // Each CRD was awaited Established (a watch on it) before the charts.
    const crds = gatewayApi.filter((object) => object.kind === 'CustomResourceDefinition');
    for (const crd of crds) expect(api.requests.some((request) => request.includes('/customresourcedefinitions?') && request.includes(encodeURIComponent(`metadata.name=${crd.metadata.name}`)))).toBe(true);
  }, 60_000);

  it('calico+istio-sidecar --depth: per pass, the other group\'s policy objects deleted by uid, proven gone, attacked, re-applied byte for byte and proven back', async () => {
    const deletesBefore = api.deletes.length;
    const rehearsal = await rehearse(DEPTH_PROFILE, ['--depth'], `${DEPTH_PROFILE}-depth`);
    await checkRehearsal(DEPTH_PROFILE, rehearsal);
    // Each pass's self-tests in results.jsonl, naming the pass; all passed.
    const passes = rehearsal.results.filter((line) => line['type'] === 'scene' && line['pass'] !== undefined);
    const failedRows = JSON.stringify(passes.flatMap((line) => (line['checks'] as { passed: boolean }[]).filter((check) => !check.passed)));
    expect(passes.map((line) => [(line['pass'] as { policies: string }).policies, (line['pass'] as { phase: string }).phase, line['passed']]), failedRows).toEqual([
      ['cni', 'ablated', true],
      ['cni', 'restored', true],
      ['mesh', 'ablated', true],
      ['mesh', 'restored', true],
    ]);
    const layered = renderLayeredScene(await profileNamed(DEPTH_PROFILE));
    const group = (name: string): readonly KubeObject[] => layered.groups.find((candidate) => candidate.group === name)?.objects ?? [];
    const meshDeleted = group('mesh');
    const cniDeleted = group('cni');
    expect(meshDeleted.length).toBeGreaterThan(0);
    expect(cniDeleted.length).toBeGreaterThan(0);
    // Every DELETE of the run but its pods' and the teardown's namespaces'.
    const sent = api.deletes.slice(deletesBefore).filter((entry) => !entry.path.includes('/pods/') && !/^\/api\/v1\/namespaces\/[^/]+$/.test(entry.path));
    // Exactly the run's policy objects, the mesh group's for the cni-only pass, then the CNI group's; each DELETE names
    // the uid the object had, and every one succeeded.
    expect(sent.map((entry) => entry.path.split('/').slice(-1)[0])).toEqual([...meshDeleted, ...cniDeleted].map((object) => object.metadata.name));
    for (const entry of sent) {
      expect(entry.status).toBe(200);
      expect(JSON.parse(entry.body)).toEqual({ apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { uid: expect.stringMatching(/^uid-\d+$/) } });
    }
    // On the wire: delete the mesh policies → the pass's first attack → re-apply them → delete the CNI policies → its attack → re-apply.
    const requests = api.requests.slice(rehearsal.requestsBefore);
    const pathOf = (object: KubeObject): string =>
      `${object.apiVersion.includes('/') ? `/apis/${object.apiVersion}` : `/api/${object.apiVersion}`}${object.metadata.namespace === undefined ? '' : `/namespaces/${object.metadata.namespace}`}/${resourceOf(object.kind)}/${object.metadata.name}`;
    const at = (method: string, object: KubeObject, from = 0): number => requests.findIndex((request, index) => index >= from && request.split('?')[0] === `${method} ${pathOf(object)}`);
    const attacks = requests.flatMap((request, index) => (request.includes(`metadata.name%3Dbm-${ATTACK.toLowerCase()}-`) ? [index] : []));
    const meshDelete = at('DELETE', meshDeleted[0] as KubeObject);
    const meshReapply = at('PATCH', meshDeleted[0] as KubeObject, meshDelete);
    const cniDelete = at('DELETE', cniDeleted[0] as KubeObject);
    const cniReapply = at('PATCH', cniDeleted[0] as KubeObject, cniDelete);
    expect(attacks[0]).toBeLessThan(meshDelete);
    expect(attacks.some((index) => index > meshDelete && index < meshReapply)).toBe(true);
    expect(meshReapply).toBeLessThan(cniDelete);
    expect(attacks.some((index) => index > cniDelete && index < cniReapply)).toBe(true);
    // The re-applied bodies are the rendered objects, byte for byte.
    const reapplied = api.applies.slice(rehearsal.appliesBefore).map((apply) => JSON.parse(apply.body) as KubeObject).slice(-(meshDeleted.length + cniDeleted.length));
    expect(reapplied.map(keyOf).sort()).toEqual([...meshDeleted, ...cniDeleted].map(keyOf).sort());
    for (const object of [...meshDeleted, ...cniDeleted]) expect(reapplied.find((candidate) => keyOf(candidate) === keyOf(object))).toEqual(object);
    // No dataplane: the passes' attempts are errors too, so the cell claims no depth.
    const cell = rehearsal.results.find((line) => line['type'] === 'cell')?.['cell'] as { depth?: { count?: number; layers: { policies: string }[] } } | undefined;
    expect(cell?.depth?.layers.map((entry) => entry.policies)).toEqual(['cni', 'mesh']);
    expect(cell?.depth?.count).toBeUndefined();
  }, 120_000);

  it('calico+istio-sidecar --depth: a restoration the self-test cannot prove stops the passes on the wire and withdraws the pass', async () => {
    const deletesBefore = api.deletes.length;
    // The mesh's /admin DENY never comes back once its policies were deleted (a proxy that missed the re-application).
    rehearsalFaults.meshOpenOnceDeletedFrom = deletesBefore;
    let rehearsal: Rehearsal;
    try {
      rehearsal = await rehearse(DEPTH_PROFILE, ['--depth'], `${DEPTH_PROFILE}-depth-unrestored`);
    } finally {
      delete rehearsalFaults.meshOpenOnceDeletedFrom;
    }
    const layered = renderLayeredScene(await profileNamed(DEPTH_PROFILE));
    const cni = layered.groups.find((candidate) => candidate.group === 'cni')?.objects ?? [];
    const policyDeletes = api.deletes.slice(deletesBefore).filter((entry) => !entry.path.includes('/pods/') && !/^\/api\/v1\/namespaces\/[^/]+$/.test(entry.path));
    // Only the mesh policies were deleted (the cni-only pass); no CNI object was touched after the failed proof.
    expect(policyDeletes.length).toBeGreaterThan(0);
    expect(policyDeletes.some((entry) => cni.some((object) => entry.path.endsWith(`/${object.metadata.name}`) && entry.path.includes(resourceOf(object.kind))))).toBe(false);
    const passes = rehearsal.results.filter((line) => line['type'] === 'scene' && line['pass'] !== undefined);
    expect(passes.map((line) => [(line['pass'] as { phase: string }).phase, line['passed']])).toEqual([['ablated', true], ['restored', false]]);
    const cell = rehearsal.results.find((line) => line['type'] === 'cell')?.['cell'] as { depth?: { count?: number; layers: { outcome: string; reason?: string }[] } } | undefined;
    expect(cell?.depth?.count).toBeUndefined();
    expect(cell?.depth?.layers.map((entry) => entry.outcome)).toEqual(['error', 'error']);
    // The cni-only pass ran on a proven ablation, but the cluster after it is in doubt: withdrawn. The mesh-only pass never ran.
    expect(cell?.depth?.layers[0]?.reason ?? '').toMatch(/^(voided|did not run): restoration after the cni-only pass not proven by the self-test: .*GET \/admin\/bm-depth-check/);
    expect(cell?.depth?.layers[1]?.reason).toMatch(/^did not run: restoration after the cni-only pass not proven by the self-test: .*GET \/admin\/bm-depth-check/);
    expect([EXIT.unexpected, EXIT.infrastructure]).toContain(rehearsal.exitCode);
  }, 120_000);
});
