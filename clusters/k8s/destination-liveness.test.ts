import type { CoreV1Api, V1Node, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { SceneAddresses } from '../../core/domain/scene-addresses.ts';
import { kubeDestinationLiveness, podLiveness, serviceOf } from './destination-liveness.ts';

const window = { from: new Date('2026-05-01T10:00:10Z'), to: new Date('2026-05-01T10:00:20Z') };

function apiPod(proxy: Record<string, unknown>, overrides: Partial<V1Pod['status']> = {}): V1Pod {
  return {
    metadata: { name: 'api-1', namespace: 'bm-app' },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: [
        { name: 'app', ready: true, restartCount: 0, image: 'x', imageID: 'x', state: { running: { startedAt: new Date('2026-05-01T09:00:00Z') } } },
        { name: 'istio-proxy', ready: true, restartCount: 0, image: 'x', imageID: 'x', state: { running: { startedAt: new Date('2026-05-01T09:00:00Z') } }, ...proxy },
      ],
      ...overrides,
    },
  };
}

describe('podLiveness', () => {
  it('is alive when every container ran, ready, from before the window', () => {
    expect(podLiveness(apiPod({}), window)).toMatchObject({ status: 'alive' });
  });

  it('names a proxy restarted inside the window (kill -9, then the kubelet started it again)', () => {
    const restarted = apiPod({
      restartCount: 1,
      state: { running: { startedAt: new Date('2026-05-01T10:00:15Z') } },
      lastState: { terminated: { exitCode: 137, reason: 'Error', finishedAt: new Date('2026-05-01T10:00:14Z') } },
    });
    const liveness = podLiveness(restarted, window);
    expect(liveness.status).toBe('dead');
    expect(liveness.status === 'dead' && liveness.died).toContain('bm-app/api-1 istio-proxy (re)started at 2026-05-01T10:00:15.000Z');
  });

  it('names a container that died in the window and came back before it ended as dead too', () => {
    const bounced = apiPod({ lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', finishedAt: new Date('2026-05-01T10:00:12Z') } } });
    expect(podLiveness(bounced, window)).toMatchObject({ status: 'dead' });
  });

  it('is dead when not running, not Ready or being deleted', () => {
    expect(podLiveness(apiPod({ state: { waiting: { reason: 'CrashLoopBackOff' } } }), window)).toMatchObject({ status: 'dead', died: expect.stringContaining('CrashLoopBackOff') });
    expect(podLiveness(apiPod({}, { conditions: [{ type: 'Ready', status: 'False', reason: 'ContainersNotReady' }] }), window)).toMatchObject({ status: 'dead' });
    expect(podLiveness({ ...apiPod({}), metadata: { name: 'api-1', namespace: 'bm-app', deletionTimestamp: new Date() } }, window)).toMatchObject({ status: 'dead' });
  });
});

describe('serviceOf', () => {
  it('reads service and namespace from a cluster DNS name', () => {
    expect(serviceOf('api.bm-app.svc.cluster.local', undefined)).toEqual({ service: 'api', namespace: 'bm-app' });
    expect(serviceOf('db', 'bm-app')).toEqual({ service: 'db', namespace: 'bm-app' });
    expect(serviceOf('db', undefined)).toBeUndefined();
  });
});

describe('kubeDestinationLiveness', () => {
  const addresses: SceneAddresses = {
    sink: { ip: '172.18.0.9', httpPort: 8080, tcpPort: 9000, udpPort: 9001, dnsPort: 53, dnsZone: 'exfil.test' },
    metadata: { ip: '169.254.169.254', port: 80 },
    nodes: [{ name: 'bm-worker', ip: '172.18.0.3' }],
    apiServer: { host: '172.18.0.2', port: 6443 },
    workloads: { 'bm-app/api': { podIp: '10.244.1.6', node: 'bm-worker' } },
    apiNodePort: 30080,
  };
  const restarted = apiPod({ state: { running: { startedAt: new Date('2026-05-01T10:00:15Z') } }, restartCount: 1 });
  const readyNode: V1Node = { metadata: { name: 'bm-worker' }, status: { conditions: [{ type: 'Ready', status: 'True' }] } };
  /** The three reads the liveness check makes, answered from fixtures. */
  const core = (api: V1Pod) =>
    ({
      listPodForAllNamespaces: async ({ fieldSelector }: { fieldSelector: string }) => ({ items: fieldSelector === 'status.podIP=10.244.1.6' ? [api] : [] }),
      readNode: async () => readyNode,
      readNamespacedService: async () => ({ spec: { selector: { app: 'api' } } }),
      listNamespacedPod: async () => ({ items: [api] }),
    }) as unknown as CoreV1Api;
  const sources = (api: V1Pod, sinkUp = true) => ({ core: core(api), addresses, sinkAnswers: async () => sinkUp });

  it('follows the pod behind a pod IP and behind a Service name', async () => {
    expect((await kubeDestinationLiveness(sources(apiPod({})), { protocol: 'http', destinationIp: '10.244.1.6' }, window)).status).toBe('alive');
    expect((await kubeDestinationLiveness(sources(restarted), { protocol: 'http', destinationIp: '10.244.1.6' }, window)).status).toBe('dead');
    expect((await kubeDestinationLiveness(sources(restarted), { protocol: 'http', destinationName: 'api.bm-app.svc.cluster.local' }, window)).status).toBe('dead');
  });

  it('behind api’s NodePort checks the node and api', async () => {
    const flow = { protocol: 'http' as const, destinationIp: '172.18.0.3', destinationPort: 30080 };
    expect((await kubeDestinationLiveness(sources(apiPod({})), flow, window)).status).toBe('alive');
    expect((await kubeDestinationLiveness(sources(restarted), flow, window)).status).toBe('dead');
  });

  it('asks the sink, and knows nothing of a flow without a destination', async () => {
    expect((await kubeDestinationLiveness(sources(apiPod({}), false), { protocol: 'tcp', destinationIp: '172.18.0.9' }, window)).status).toBe('dead');
    expect((await kubeDestinationLiveness(sources(apiPod({})), { protocol: 'tcp' }, window)).status).toBe('unknown');
  });
});
