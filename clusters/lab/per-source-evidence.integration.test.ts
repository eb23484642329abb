import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PodHandle } from '../../core/domain/cluster.ts';
import type { FlowDescriptor } from '../../core/domain/evidence.ts';
import { pod } from '../../manifests/pod-builder.ts';
import { LabCluster } from './lab-cluster.ts';
import { labProfile } from './testing/lab-profile.ts';

/** Real namespaces, real nftables: needs root. */
const namespace = (name: string) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: {} } });

/**
 * Two attempts at once to one destination, only one of them dropped: api's ingress is default-deny; a host-network
 * client on api's own node is let through (node → own pods is never filtered), one on another node is dropped at
 * api's ingress. Both hit the same ingress chain; only the dropped attempt may be confirmed by its drop.
 */
describe('lab evidence belongs to one attempt (real kernel)', () => {
  let lab: LabCluster;
  let api: PodHandle;
  let sameNode: PodHandle;
  let otherNode: PodHandle;

  beforeAll(async () => {
    lab = await LabCluster.create(labProfile('lab:netpol'), { runId: 'it-src', onProgress: () => undefined });
    await lab.apply([namespace('bm-app'), namespace('bm-privileged')]);
    const apiPod = await lab.createPod(
      pod('api', 'bm-app').exposePort(8080).withCommand('python3', '/opt/breachmatrix/workload_server.py', '--name', 'api', '--http-port', '8080').build(),
      { timeoutMs: 10_000 },
    );
    if (apiPod.status !== 'running') throw new Error('api did not start');
    api = apiPod.pod;
    const other = ['lab-worker', 'lab-worker2'].find((name) => name !== api.node) ?? 'lab-control-plane';
    const [near, far] = await Promise.all([
      lab.createPod(pod('near', 'bm-privileged').hostNetwork().onNode(api.node).build(), { timeoutMs: 10_000 }),
      lab.createPod(pod('far', 'bm-privileged').hostNetwork().onNode(other).build(), { timeoutMs: 10_000 }),
    ]);
    if (near.status !== 'running' || far.status !== 'running') throw new Error('clients did not start');
    sameNode = near.pod;
    otherNode = far.pod;
    await lab.apply([
      { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'default-deny', namespace: 'bm-app' }, spec: { podSelector: {}, policyTypes: ['Ingress'] } },
    ]);
  }, 60_000);

  afterAll(async () => {
    await lab?.teardown();
  });

  it('confirms the dropped attempt on its own source address and gives the other attempt nothing', async () => {
    const from = new Date();
    const curl = (client: PodHandle) =>
      client.exec(['curl', '-sS', '-o', '/dev/null', '-w', '%{http_code}', '--connect-timeout', '2', '-m', '3', `http://${api.ip}:8080/api/ping`], { timeoutMs: 6_000 });
    const [near, far] = await Promise.all([curl(sameNode), curl(otherNode)]);
    expect(near.stdout.trim()).toBe('200');
    expect(far.exitCode).toBe(28);
    const window = { from, to: new Date() };
    const flow = (client: PodHandle): FlowDescriptor => ({
      protocol: 'http',
      sourceIp: client.ip,
      sourcePod: client.name,
      sourceNamespace: client.namespace,
      destinationIp: api.ip,
      destinationPort: 8080,
    });
    const [nearEvidence, farEvidence] = await Promise.all([lab.collectEvidence({ window, flow: flow(sameNode) }), lab.collectEvidence({ window, flow: flow(otherNode) })]);
    expect(nearEvidence).toEqual([]);
    expect(farEvidence).toHaveLength(1);
    expect(farEvidence[0]).toMatchObject({ layer: 'cni', source: 'nft-counter', verdict: 'denied', matched: ['source-ip', 'destination-ip'] });
    expect(farEvidence[0]?.raw).toContain(`element ${otherNode.ip}`);
  });
});
