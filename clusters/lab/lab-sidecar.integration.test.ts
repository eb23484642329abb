import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { TIMEOUTS } from '../../core/timeouts.ts';
import type { PodHandle } from '../../core/domain/cluster.ts';
import { pod } from '../../manifests/pod-builder.ts';
import { SCENE } from '../../manifests/scene.ts';
import { LAB_ADDRESSES } from './addressing.ts';
import { LabCluster } from './lab-cluster.ts';
import { labProfile } from './testing/lab-profile.ts';
import { SIDECAR_TIMEOUTS } from './sidecar/timeouts.ts';

/** The lab core driving the sidecar module: injection, init order, proxy evidence (real namespaces, as root). */
describe('lab:sidecar pods', () => {
  let lab: LabCluster;
  let client: PodHandle;
  let bypass: PodHandle;

  beforeAll(async () => {
    lab = await LabCluster.create(labProfile('lab:sidecar'), { runId: 'it-sidecar', onProgress: () => undefined });
    await lab.apply([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bm-app', labels: { 'istio-injection': 'enabled' } } }]);
    const created = await Promise.all([
      lab.createPod(pod('client', 'bm-app').build(), { timeoutMs: 10_000 }),
      lab.createPod(pod('intruder', 'bm-app').runAsUser(SCENE.proxyUid).build(), { timeoutMs: 10_000 }),
    ]);
    const [first, second] = created;
    if (first?.status !== 'running' || second?.status !== 'running') throw new Error('pods did not start');
    client = first.pod;
    bypass = second.pod;
  });

  afterAll(async () => {
    await lab?.teardown();
  });

  const sinkUrl = (canary: string) => `http://${LAB_ADDRESSES.sinkIp}:${SCENE.sink.httpPort}/${canary}`;

  it('sends a mesh pod’s traffic through its proxy, whose access log is the evidence', async () => {
    const from = new Date();
    const canary = 'bm1111111111111111';
    const curl = await client.exec(['curl', '-sS', '-m', '3', sinkUrl(canary)], { timeoutMs: 5_000 });
    expect(curl.exitCode).toBe(0);
    // The proxy writes its line when the connection closes, a moment after curl returns.
    const evidence = await vi.waitFor(
      async () => {
        const items = await lab.collectEvidence({
          window: { from, to: new Date() },
          flow: { protocol: 'http', sourcePod: 'client', sourceNamespace: 'bm-app', sourceIp: client.ip, destinationIp: LAB_ADDRESSES.sinkIp },
        });
        if (items.length === 0) throw new Error('no proxy line yet');
        return items;
      },
      { timeout: 3_000, interval: 100 },
    );
    expect(evidence.map((item) => item.source)).toContain('lab-proxy-log');
    expect((await lab.sinkReceived(canary)).length).toBeGreaterThan(0);
  });

  it('one evidence call right after the client returns waits for the proxy line itself, bounded', async () => {
    const from = new Date();
    const canary = 'bm3333333333333333';
    const curl = await client.exec(['curl', '-sS', '-m', '3', sinkUrl(canary)], { timeoutMs: 5_000 });
    expect(curl.exitCode).toBe(0);
    const flow = { protocol: 'http', sourcePod: 'client', sourceNamespace: 'bm-app', sourceIp: client.ip, destinationIp: LAB_ADDRESSES.sinkIp } as const;
    const evidence = await lab.collectEvidence({ window: { from, to: new Date() }, flow });
    // (The earlier test's connection from the same client may count too: windows allow for clock skew.)
    expect(evidence.length).toBeGreaterThan(0);
    for (const item of evidence) {
      expect(item.source).toBe('lab-proxy-log');
      expect(item.raw).toContain(`"src":"${client.ip}:`);
    }
    // A flow its pods' proxies have no line for costs at most the settle budget, then answers empty.
    const started = Date.now();
    const none = await lab.collectEvidence({ window: { from, to: new Date() }, flow: { ...flow, destinationPort: 9 } });
    expect(none).toEqual([]);
    expect(Date.now() - started).toBeLessThan(SIDECAR_TIMEOUTS.proxyLogSettleMs + 1_000);
  });

  it('SC1: UID 1337 skips capture — the canary arrives and the proxy logs nothing for it', async () => {
    const from = new Date();
    const canary = 'bm2222222222222222';
    const curl = await bypass.exec(['curl', '-sS', '-m', '3', sinkUrl(canary)], { timeoutMs: 5_000 });
    expect(curl.exitCode).toBe(0);
    // Give a proxy the same time it needs above to log the connection: there must still be nothing.
    await sleep(TIMEOUTS.sinkSettleMs);
    const evidence = await lab.collectEvidence({
      window: { from, to: new Date() },
      flow: { protocol: 'http', sourcePod: 'intruder', sourceNamespace: 'bm-app', sourceIp: bypass.ip, destinationIp: LAB_ADDRESSES.sinkIp },
    });
    expect(evidence).toEqual([]);
    expect((await lab.sinkReceived(canary)).map((record) => record.protocol)).toContain('http');
  });
});
