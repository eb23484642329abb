import { release } from 'node:os';
import type { V1Pod } from '@kubernetes/client-node';
import { execa } from 'execa';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { PodHandle } from '../../../core/domain/cluster.ts';
import type { EvidenceItem, FlowDescriptor } from '../../../core/domain/evidence.ts';
import { stackTraits } from '../../../core/domain/profile.ts';
import { pod } from '../../../manifests/pod-builder.ts';
import { buildIstioPolicies } from '../../../manifests/policies/istio-policies.ts';
import { POLICY_NAMES } from '../../../manifests/policies/policy-names.ts';
import { SCENE } from '../../../manifests/scene.ts';
import { LAB_ADDRESSES } from '../addressing.ts';
import { LabCluster } from '../lab-cluster.ts';
import { labProfile } from '../testing/lab-profile.ts';
import { LabTestPods, waitForEvidence } from '../testing/lab-test-pods.ts';

const AMBIENT = { 'istio.io/dataplane-mode': 'ambient' } as const;
const PORT = SCENE.workloads.api.port;

/** lab:ambient end to end on real namespaces: in-pod redirection, the ztunnel stand-in, its access log as evidence. */
describe('lab:ambient', () => {
  const profile = labProfile('lab:ambient');
  let lab: LabCluster;
  const pods = new LabTestPods();
  const { get, curl } = pods;

  beforeAll(async () => {
    lab = await LabCluster.create(profile, { runId: 'it-ambient', onProgress: () => undefined });
    await lab.apply([
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bm-app', labels: AMBIENT } },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bm-rogue', labels: {} } },
      ...buildIstioPolicies(stackTraits(profile)),
    ]);
    const server = (name: string) =>
      pod(name, 'bm-app').serviceAccountName(name).withCommand('python3', '-m', 'http.server', String(PORT), '--bind', '0.0.0.0').exposePort(PORT);
    const specs = [
      server('api').build(),
      pod('frontend', 'bm-app').serviceAccountName('frontend').build(),
      pod('intruder', 'bm-app').serviceAccountName('intruder').build(),
      pod('optout', 'bm-app').serviceAccountName('intruder').label('istio.io/dataplane-mode', 'none').build(),
      pod('marker', 'bm-app').serviceAccountName('intruder').addCapabilities('NET_ADMIN').build(),
      pod('rogue', 'bm-rogue').serviceAccountName('rogue').build(),
    ];
    await pods.start(lab, specs);
  });

  afterAll(async () => {
    await lab?.teardown();
  });

  const apiUrl = () => `http://${get('api').ip}:${PORT}/`;

  /** ztunnel writes its line when the connection closes, a moment after the client returns. */
  const evidence = (from: Date, flow: FlowDescriptor, ready: (items: readonly EvidenceItem[]) => boolean) => waitForEvidence(lab, from, flow, ready);
  const flowTo = (from: string): FlowDescriptor => ({ protocol: 'http', sourceIp: get(from).ip, sourcePod: from, destinationIp: get('api').ip, destinationPort: PORT });

  it('runs a waypoint for the Gateway: the policies bound to it are enforced there, never listed as not modelled', () => {
    // clusters/lab/ambient/lab-waypoint.integration.test.ts measures what the waypoint does with them.
    const names = lab.notModelled().map((object) => `${object.kind}/${object.metadata.name}`);
    expect(names).not.toContain(`AuthorizationPolicy/${POLICY_NAMES.apiAllow}`);
    expect(names).not.toContain(`AuthorizationPolicy/${POLICY_NAMES.apiDenyAdmin}`);
    expect(names).not.toContain('Gateway/waypoint');
  });

  it('frontend → api over HBONE is allowed; both ztunnels log it with frontend\'s identity', async () => {
    const from = new Date();
    const result = await curl('frontend', apiUrl());
    expect(result.stdout).toBe('200');
    const items = await evidence(from, flowTo('frontend'), (all) => all.filter((i) => i.verdict === 'allowed').length >= 2);
    const allowed = items.filter((item) => item.verdict === 'allowed');
    expect(allowed.map((item) => item.source)).toEqual(['ztunnel-log', 'ztunnel-log']);
    for (const item of allowed) {
      expect(item.layer).toBe('mesh-ztunnel');
      expect(item.detail).toBe('connection complete, source spiffe://cluster.local/ns/bm-app/sa/frontend');
    }
    expect(allowed.some((item) => item.raw.includes('direction="inbound"') && item.raw.includes(`dst.hbone_addr=${get('api').ip}:${PORT}`))).toBe(true);
  });

  it('a non-allowed identity (intruder) is reset by api\'s ztunnel: "allow policies exist, but none allowed"', async () => {
    const from = new Date();
    const result = await curl('intruder', apiUrl());
    expect(result.exitCode).toBe(56);
    const items = await evidence(from, flowTo('intruder'), (all) => all.some((i) => i.verdict === 'denied'));
    const denied = items.filter((item) => item.verdict === 'denied');
    expect(denied).toHaveLength(1);
    expect(denied[0]?.detail).toBe('policy rejection (allow policies exist, but none allowed) of source spiffe://cluster.local/ns/bm-app/sa/intruder');
    expect(denied[0]?.raw).toMatch(/\terror\taccess\tconnection complete\tsrc\.addr=/);
  });

  it('plaintext from a pod outside the mesh into STRICT is reset, logged with an empty identity', async () => {
    const from = new Date();
    const result = await curl('rogue', apiUrl());
    expect(result.exitCode).toBe(56);
    const items = await evidence(from, flowTo('rogue'), (all) => all.some((i) => i.verdict === 'denied'));
    const [denied] = items.filter((item) => item.verdict === 'denied');
    expect(denied?.rule).toBe('istio-system/istio_converted_static_strict');
    expect(denied?.detail).toContain('source without identity');
  });

  it('AM3: a pod labelled dataplane-mode none bypasses ztunnel — egress arrives, STRICT still refuses it', async () => {
    const from = new Date();
    const canary = 'bm3333333333333333';
    const egress = await curl('optout', `http://${LAB_ADDRESSES.sinkIp}:${SCENE.sink.httpPort}/${canary}`);
    expect(egress.exitCode).toBe(0);
    expect((await lab.sinkReceived(canary)).length).toBeGreaterThan(0);
    const toSink: FlowDescriptor = { protocol: 'http', sourceIp: get('optout').ip, destinationIp: LAB_ADDRESSES.sinkIp };
    expect(await lab.collectEvidence({ window: { from, to: new Date() }, flow: toSink })).toEqual([]);
    expect((await curl('optout', apiUrl())).exitCode).toBe(56);
    await evidence(from, flowTo('optout'), (all) => all.some((i) => i.rule === 'istio-system/istio_converted_static_strict'));
  });

  it('SC5: UDP is not captured — the canary reaches the sink and no ztunnel line names it', async () => {
    const from = new Date();
    const canary = 'bm5555555555555555';
    const sent = await get('intruder').exec(['sh', '-c', `printf ${canary} | nc -u -w 1 ${LAB_ADDRESSES.sinkIp} ${SCENE.sink.udpPort}`], { timeoutMs: 5_000 });
    expect(sent.exitCode).toBe(0);
    await vi.waitFor(async () => expect((await lab.sinkReceived(canary)).length).toBeGreaterThan(0), { timeout: 3_000, interval: 100 });
    const flow: FlowDescriptor = { protocol: 'udp', sourceIp: get('intruder').ip, destinationIp: LAB_ADDRESSES.sinkIp };
    expect(await lab.collectEvidence({ window: { from, to: new Date() }, flow })).toEqual([]);
  });

  it('an in-mesh pod\'s egress to the world passes through ztunnel (passthrough, logged)', async () => {
    const from = new Date();
    const canary = 'bm6666666666666666';
    expect((await curl('intruder', `http://${LAB_ADDRESSES.sinkIp}:${SCENE.sink.httpPort}/${canary}`)).exitCode).toBe(0);
    const flow: FlowDescriptor = { protocol: 'http', sourceIp: get('intruder').ip, destinationIp: LAB_ADDRESSES.sinkIp, destinationPort: SCENE.sink.httpPort };
    const items = await evidence(from, flow, (all) => all.length > 0);
    expect(items.map((item) => [item.verdict, item.raw.includes('direction="outbound"')])).toEqual([['allowed', true]]);
  });

  it('AM4 (mark): a socket marked 0x3 skips capture and arrives at api as plaintext, which STRICT refuses', async () => {
    const from = new Date();
    const script = [
      'import socket',
      's = socket.socket()',
      's.setsockopt(socket.SOL_SOCKET, 36, 3)',
      's.settimeout(3)',
      `s.connect(("${get('api').ip}", ${PORT}))`,
      's.sendall(b"GET / HTTP/1.0\\r\\n\\r\\n")',
      'try:',
      '    print(len(s.recv(100)))',
      'except ConnectionResetError:',
      '    print("reset")',
    ].join('\n');
    const result = await get('marker').exec(['python3', '-c', script], { timeoutMs: 6_000 });
    expect(result.stdout.trim()).toBe('reset');
    const items = await evidence(from, flowTo('marker'), (all) => all.some((i) => i.verdict === 'denied'));
    expect(items.filter((i) => i.verdict === 'denied').map((i) => i.rule)).toEqual(['istio-system/istio_converted_static_strict']);
    // Since Linux 5.17 SO_MARK also accepts CAP_NET_RAW, which is in the runtime's default set: the plain
    // intruder (no added capability) escapes capture the same way.
    const [major = 0, minor = 0] = release().split('.').map(Number);
    const plain = await get('intruder').exec(['python3', '-c', script], { timeoutMs: 6_000 });
    if (major > 5 || (major === 5 && minor >= 17)) expect(plain.stdout.trim()).toBe('reset');
    else expect(plain.stderr).toContain('PermissionError');
  });

  /**
   * AM5: istio-cni's host rule SNATs TCP that a node's own sockets send to the node's ambient pods to 169.254.7.127,
   * which the in-pod rules accept without capture. A host-network pod is such a socket; a pod's packets are only
   * forwarded by the node (no local socket), and another node's pods are not in this node's set.
   */
  describe('AM5: istio-cni host probe SNAT', () => {
    const PROBE_SOURCE = SCENE.ambientProbeSource.replace(/\/32$/, '');
    const extra: Record<string, PodHandle> = {};
    const made = (name: string): PodHandle => {
      const handle = extra[name];
      if (handle === undefined) throw new Error(`no pod ${name}`);
      return handle;
    };
    const nodeNetns = (nodeName: string): string => {
      const node = lab.nodes.find((candidate) => candidate.name === nodeName);
      if (node === undefined) throw new Error(`no node ${nodeName}`);
      return lab.names.node(node.index);
    };
    /** The kernel's view: the elements of the node's istio-inpod-probes-v4 set. */
    async function probeSet(nodeName: string): Promise<string[]> {
      const listed = await execa('ip', ['netns', 'exec', nodeNetns(nodeName), 'nft', '-j', 'list', 'set', 'inet', 'istio-ambient-nat', 'istio-inpod-probes-v4']);
      const parsed = z
        .object({ nftables: z.array(z.object({ set: z.object({ elem: z.array(z.union([z.string(), z.object({ elem: z.object({ val: z.string() }) })])).optional() }).optional() })) })
        .parse(JSON.parse(listed.stdout));
      const elements = parsed.nftables.flatMap((entry) => entry.set?.elem ?? []);
      return elements.map((element) => (typeof element === 'string' ? element : element.elem.val)).sort();
    }
    const create = async (spec: V1Pod): Promise<PodHandle> => {
      const created = await lab.createPod(spec, { timeoutMs: 10_000 });
      if (created.status !== 'running') throw new Error(`${spec.metadata?.name} was rejected: ${created.message}`);
      return created.pod;
    };

    beforeAll(async () => {
      const apiNode = get('api').node;
      const otherNode = lab.nodes.find((node) => node.name !== apiNode && node.index > 0)?.name;
      if (otherNode === undefined) throw new Error('the lab needs a second worker');
      await lab.apply([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bm-priv', labels: {} } }]);
      extra.hostLocal = await create(pod('host-local', 'bm-priv').hostNetwork().onNode(apiNode).build());
      extra.hostFar = await create(pod('host-far', 'bm-priv').hostNetwork().onNode(otherNode).build());
      extra.neighbour = await create(pod('neighbour', 'bm-rogue').serviceAccountName('rogue').onNode(apiNode).build());
    });

    it("each node's probe set holds exactly that node's ambient pods; a pod leaving the mesh leaves the set", async () => {
      const ambientPods = ['api', 'frontend', 'intruder', 'marker'].map(get);
      for (const node of lab.nodes) {
        const expected = ambientPods.filter((handle) => handle.node === node.name).map((handle) => handle.ip).sort();
        expect(await probeSet(node.name)).toEqual(expected);
      }
      const apiNode = get('api').node;
      const transient = await create(pod('transient', 'bm-app').serviceAccountName('intruder').onNode(apiNode).build());
      expect(await probeSet(apiNode)).toContain(transient.ip);
      await transient[Symbol.asyncDispose]();
      expect(await probeSet(apiNode)).not.toContain(transient.ip);
      // Out of the mesh (pod opt-out, namespace not ambient, host network): never in a set.
      const all = (await Promise.all(lab.nodes.map((node) => probeSet(node.name)))).flat();
      for (const name of ['optout', 'rogue']) expect(all).not.toContain(get(name).ip);
      expect(all).not.toContain(made('neighbour').ip);
    });

    it("a host-network pod on api's node reaches api in plaintext from 169.254.7.127: not captured, not refused by STRICT", async () => {
      const from = new Date();
      const marker = `am5-${Date.now()}`;
      const result = await made('hostLocal').exec(['curl', '-sS', '-o', '/dev/null', '-w', '%{http_code}', '-m', '3', `${apiUrl()}?${marker}`], { timeoutMs: 6_000 });
      expect(result.stdout).toBe('200');
      // The app saw the SNAT address (the reply found its way back: conntrack reversed the SNAT on the node).
      const line = await vi.waitFor(
        async () => {
          const found = (await get('api').logs('main')).split('\n').find((text) => text.includes(marker));
          if (found === undefined) throw new Error('api has not logged the request yet');
          return found;
        },
        { timeout: 2_000, interval: 50 },
      );
      expect(line.startsWith(`${PROBE_SOURCE} - - [`)).toBe(true);
      // ztunnel never saw it: no line in api's log for the probe source.
      const flow: FlowDescriptor = { protocol: 'http', sourceIp: PROBE_SOURCE, destinationIp: get('api').ip, destinationPort: PORT };
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await lab.collectEvidence({ window: { from, to: new Date() }, flow })).toEqual([]);
    });

    it("a pod on api's node (forwarded, no node socket) and a host-network pod on another node are still refused by STRICT", async () => {
      const from = new Date();
      const neighbour = await made('neighbour').exec(['curl', '-sS', '-o', '/dev/null', '-w', '%{http_code}', '-m', '3', apiUrl()], { timeoutMs: 6_000 });
      expect(neighbour.exitCode).toBe(56);
      const flow: FlowDescriptor = { protocol: 'http', sourceIp: made('neighbour').ip, sourcePod: 'neighbour', destinationIp: get('api').ip, destinationPort: PORT };
      const items = await evidence(from, flow, (all) => all.some((i) => i.verdict === 'denied'));
      expect(items.filter((i) => i.verdict === 'denied').map((i) => i.rule)).toEqual(['istio-system/istio_converted_static_strict']);
      const far = await made('hostFar').exec(['curl', '-sS', '-o', '/dev/null', '-w', '%{http_code}', '-m', '3', apiUrl()], { timeoutMs: 6_000 });
      expect(far.exitCode).toBe(56);
    });
  });
});
