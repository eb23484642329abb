import { readdir, readFile } from 'node:fs/promises';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { KubeObject } from '../../../core/domain/cluster.ts';
import type { EvidenceItem, FlowDescriptor } from '../../../core/domain/evidence.ts';
import { stackTraits } from '../../../core/domain/profile.ts';
import { pod } from '../../../manifests/pod-builder.ts';
import { buildIstioPolicies } from '../../../manifests/policies/istio-policies.ts';
import { POLICY_NAMES } from '../../../manifests/policies/policy-names.ts';
import { SCENE } from '../../../manifests/scene.ts';
import { LabCluster } from '../lab-cluster.ts';
import { labProfile } from '../testing/lab-profile.ts';
import { LabTestPods, waitForEvidence } from '../testing/lab-test-pods.ts';

const PORT = SCENE.workloads.api.port;
const API_HOST = 'api.bm-app.svc.cluster.local';
const DENY_RULE = `ns[bm-app]-policy[${POLICY_NAMES.apiDenyAdmin}]-rule[0]`;

/**
 * lab:ambient's waypoint end to end, with the scene's ambient policy set (the Gateway, the api Service labelled
 * istio.io/use-waypoint, L7 rules attached with targetRefs to the Service, STRICT mTLS, api's L4 rule admitting frontend
 * and the waypoint). Upstream behaviour, per istio.io:
 *   - traffic addressed to a Service with a waypoint goes through it, and the waypoint enforces the L7 policy attached to
 *     the Service (https://istio.io/latest/docs/ambient/usage/waypoint/, "Attach a L7 policy to a specific service");
 *   - traffic to a pod IP does not use a `service` waypoint ("by default only services use the namespace waypoint",
 *     same page) — AM1;
 *   - a client outside the mesh knows nothing of waypoints and reaches the destination directly, where ztunnel still
 *     enforces STRICT (https://istio.io/latest/docs/ambient/architecture/data-plane/) — AM2.
 */
describe('lab:ambient waypoint', () => {
  const profile = labProfile('lab:ambient');
  let lab: LabCluster;
  const pods = new LabTestPods();
  const { get, curl } = pods;

  const apiService: KubeObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'api', namespace: 'bm-app', labels: { app: 'api', 'istio.io/use-waypoint': 'waypoint' } },
    spec: { selector: { app: 'api' }, ports: [{ name: 'http', port: PORT, targetPort: PORT, protocol: 'TCP', appProtocol: 'http' }] },
  };

  beforeAll(async () => {
    lab = await LabCluster.create(profile, { runId: 'it-waypoint', onProgress: () => undefined });
    await lab.apply([
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bm-app', labels: { 'istio.io/dataplane-mode': 'ambient' } } },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bm-rogue', labels: {} } },
      apiService,
      ...buildIstioPolicies(stackTraits(profile)),
    ]);
    const specs = [
      pod('api', 'bm-app').label('app', 'api').serviceAccountName('api').withCommand('python3', '-m', 'http.server', String(PORT), '--bind', '0.0.0.0').exposePort(PORT).build(),
      pod('frontend', 'bm-app').serviceAccountName('frontend').build(),
      pod('rogue', 'bm-rogue').serviceAccountName('rogue').build(),
    ];
    await pods.start(lab, specs);
  });

  afterAll(async () => {
    await lab?.teardown();
  });

  const flow = (from: string, canary: string, to: Pick<FlowDescriptor, 'destinationIp' | 'destinationName'>): FlowDescriptor => ({
    protocol: 'http',
    sourceIp: get(from).ip,
    sourcePod: from,
    sourceNamespace: get(from).namespace,
    destinationPort: PORT,
    canary,
    ...to,
  });
  const evidence = (from: Date, wanted: FlowDescriptor, ready: (items: readonly EvidenceItem[]) => boolean) => waitForEvidence(lab, from, wanted, ready);

  it('the Service resolves to a VIP; the pod keeps its own IP', async () => {
    const resolved = await get('frontend').exec(['getent', 'hosts', API_HOST], { timeoutMs: 5_000 });
    expect(resolved.stdout).toMatch(/^10\.96\.0\.\d+\s/);
    expect(get('api').ip).toMatch(/^10\.244\./);
  });

  it('enforces the L7 DENY attached with targetRefs to the Service: 403 and its RBAC line, layer mesh-waypoint', async () => {
    const from = new Date();
    const canary = 'bmwp00000000000001';
    const result = await curl('frontend', `http://${API_HOST}:${PORT}/admin?c=${canary}`);
    expect(result.stdout).toBe('403');
    const items = await evidence(from, flow('frontend', canary, { destinationName: API_HOST }), (all) => all.some((i) => i.layer === 'mesh-waypoint'));
    const waypoint = items.filter((item) => item.layer === 'mesh-waypoint');
    expect(waypoint).toHaveLength(1);
    expect(waypoint[0]).toMatchObject({ verdict: 'denied', rule: DENY_RULE, source: 'lab-proxy-log' });
    expect(waypoint[0]?.matched).toEqual(expect.arrayContaining(['canary', 'source-ip']));
    // Envoy's access-log vocabulary, as the lab sidecar writes it.
    expect(JSON.parse(waypoint[0]?.raw ?? '{}')).toMatchObject({
      status: 403,
      response_code_details: `rbac_access_denied_matched_policy[${DENY_RULE}]`,
      peer_principal: 'cluster.local/ns/bm-app/sa/frontend',
      pod: 'bm-app/waypoint-lab',
    });
  });

  it('lets an allowed request through (GET /api/*): api answers (404 of its file server), a via_upstream line; api sees the waypoint\'s identity', async () => {
    const from = new Date();
    const canary = 'bmwp00000000000002';
    expect((await curl('frontend', `http://${API_HOST}:${PORT}/api/x?c=${canary}`)).stdout).toBe('404');
    const items = await evidence(from, flow('frontend', canary, { destinationName: API_HOST }), (all) => all.some((i) => i.layer === 'mesh-waypoint'));
    const [line] = items.filter((item) => item.layer === 'mesh-waypoint');
    expect(line?.verdict).toBe('allowed');
    expect(line?.raw).toContain('"response_code_details":"via_upstream"');
    const apiLog = await vi.waitFor(async () => {
      const text = await readZtunnelLogOf('api');
      if (!text.includes('src.identity="spiffe://cluster.local/ns/bm-app/sa/waypoint"')) throw new Error('no waypoint hop yet');
      return text;
    }, { timeout: 3_000, interval: 100 });
    expect(apiLog).toContain('direction="inbound"');
  });

  it('AM1: the pod IP path skips the waypoint — /admin reaches api (its own 404, not a 403) and the waypoint has no line for it', async () => {
    const from = new Date();
    const canary = 'bmwp00000000000003';
    const result = await curl('frontend', `http://${get('api').ip}:${PORT}/admin?c=${canary}`);
    expect(result.stdout).toBe('404');
    const items = await evidence(from, flow('frontend', canary, { destinationIp: get('api').ip }), (all) => all.some((i) => i.layer === 'mesh-ztunnel'));
    expect(items.filter((item) => item.layer === 'mesh-waypoint')).toEqual([]);
    expect(items.some((item) => item.layer === 'mesh-ztunnel' && item.verdict === 'allowed' && item.raw.includes('src.identity="spiffe://cluster.local/ns/bm-app/sa/frontend"'))).toBe(true);
  });

  it('AM2: a client outside the mesh reaches the VIP through kube-proxy, never the waypoint; api\'s ztunnel resets it (STRICT)', async () => {
    const from = new Date();
    const canary = 'bmwp00000000000004';
    const result = await curl('rogue', `http://${API_HOST}:${PORT}/admin?c=${canary}`);
    expect(result.exitCode).toBe(56);
    const items = await evidence(from, flow('rogue', canary, { destinationName: API_HOST }), (all) => all.some((i) => i.verdict === 'denied'));
    expect(items.filter((item) => item.layer === 'mesh-waypoint')).toEqual([]);
    expect(items.find((item) => item.verdict === 'denied')).toMatchObject({ layer: 'mesh-ztunnel', rule: 'istio-system/istio_converted_static_strict' });
  });

  it('a namespace labelled istio.io/use-waypoint after its Services puts them behind the waypoint too', async () => {
    const other: KubeObject = { ...apiService, metadata: { name: 'other', namespace: 'bm-app', labels: { app: 'api' } } };
    await lab.apply([other]);
    const host = 'other.bm-app.svc.cluster.local';
    expect((await get('frontend').exec(['getent', 'hosts', host], { timeoutMs: 5_000 })).stdout).toContain(get('api').ip);
    await lab.apply([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bm-app', labels: { 'istio.io/dataplane-mode': 'ambient', 'istio.io/use-waypoint': 'waypoint' } } }]);
    expect((await get('frontend').exec(['getent', 'hosts', host], { timeoutMs: 5_000 })).stdout).toMatch(/^10\.96\.0\.\d+\s/);
    const from = new Date();
    const canary = 'bmwp00000000000005';
    // No policy is attached to `other`: the waypoint forwards it (api's file server answers 404), and logs it.
    expect((await curl('frontend', `http://${host}:${PORT}/admin?c=${canary}`)).stdout).toBe('404');
    const items = await evidence(from, flow('frontend', canary, { destinationName: host }), (all) => all.some((i) => i.layer === 'mesh-waypoint'));
    expect(items.find((item) => item.layer === 'mesh-waypoint')?.verdict).toBe('allowed');
  });

  it('liveness covers the waypoint: a killed waypoint proxy makes Service flows dead (an error, never a block), pod-IP flows stay alive', async () => {
    const window = { from: new Date(), to: new Date() };
    expect(await lab.destinationLiveness({ protocol: 'http', destinationName: API_HOST, destinationPort: PORT }, window)).toMatchObject({ status: 'alive' });
    const pid = await waypointHaproxyPid();
    await execa('kill', ['-9', String(pid)]);
    const dead = await vi.waitFor(async () => {
      const liveness = await lab.destinationLiveness({ protocol: 'http', destinationName: API_HOST, destinationPort: PORT }, window);
      if (liveness.status !== 'dead') throw new Error(`still ${liveness.status}`);
      return liveness;
    }, { timeout: 3_000, interval: 50 });
    expect(dead).toMatchObject({ status: 'dead' });
    expect(JSON.stringify(dead)).toContain('waypoint proxy');
    expect(await lab.destinationLiveness({ protocol: 'http', destinationIp: get('api').ip, destinationPort: PORT }, window)).toMatchObject({ status: 'alive' });
  });

  /** The ztunnel access log of one of this lab's pods (its work folder holds ztunnel.log). */
  async function readZtunnelLogOf(name: string): Promise<string> {
    const podsDir = `${lab.workDir}/pods`;
    const folder = (await readdir(podsDir)).find((entry) => entry.startsWith(`bm-app_${name}_`));
    return folder === undefined ? '' : readFile(`${podsDir}/${folder}/ztunnel.log`, 'utf8');
  }

  /** The waypoint's HAProxy, found among the processes of this lab's own network namespaces. */
  async function waypointHaproxyPid(): Promise<number> {
    const listed = await execa('ip', ['netns', 'list']);
    const mine = listed.stdout.split('\n').map((line) => line.split(' ')[0] ?? '').filter((name) => name.startsWith(`${lab.name}-`));
    for (const netns of mine) {
      const pids = (await execa('ip', ['netns', 'pids', netns], { reject: false })).stdout.split('\n').filter((p) => p !== '');
      for (const pid of pids) {
        const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
        if (cmdline[0] === 'haproxy' && cmdline.some((arg) => arg.endsWith('/waypoint/haproxy.cfg'))) return Number(pid);
      }
    }
    throw new Error('no waypoint haproxy in this lab');
  }
});
