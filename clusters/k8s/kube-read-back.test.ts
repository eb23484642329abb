import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProfileCatalog } from '../../core/config/profiles-config.ts';
import type { KubeObject } from '../../core/domain/cluster.ts';
import { InfrastructureError } from '../../core/domain/errors.ts';
import { readBackCheck } from '../../core/scene-check/read-back-check.ts';
import type { KubeCluster } from './kube-cluster.ts';
import { loopbackKubeCluster } from './testing/loopback-kube-cluster.ts';
import { sendJson, startRecordingApiServer, type RecordingApiServer } from './testing/recording-api-server.ts';

/** The shared loopback API server, storing objects as given, except where a test tampers with one on its way in. */
const stored = new Map<string, unknown>();
let server: RecordingApiServer;

beforeAll(async () => {
  server = await startRecordingApiServer({
    kinds: [
      { apiVersion: 'v1', kind: 'Namespace', resource: 'namespaces', namespaced: false },
      { apiVersion: 'v1', kind: 'ServiceAccount', resource: 'serviceaccounts', namespaced: true },
      { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', resource: 'networkpolicies', namespaced: true },
    ],
    route: (request, url, response) => {
      if (request.method !== 'GET') return false;
      if (url.pathname === '/api/v1/namespaces/bm-app/serviceaccounts/broken') {
        sendJson(response, 500, { kind: 'Status', status: 'Failure', message: 'etcdserver: request timed out', code: 500 });
        return true;
      }
      const object = stored.get(url.pathname);
      if (object === undefined) return false;
      sendJson(response, 200, object);
      return true;
    },
  });
});

afterAll(async () => {
  await server[Symbol.asyncDispose]();
});

async function cluster(): Promise<KubeCluster> {
  const profile = (await loadProfileCatalog()).profiles[0];
  if (profile === undefined) throw new Error('no profile');
  return loopbackKubeCluster({ name: 'fake', provider: 'kind', profile, kubeConfig: server.kubeConfig });
}

const namespace: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bm-app', labels: { 'istio-injection': 'enabled' } } };
const apiIngress: KubeObject = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'bm-api-ingress', namespace: 'bm-app' },
  spec: { podSelector: { matchLabels: { app: 'api' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: { matchLabels: { app: 'frontend' } } }], ports: [{ port: 8080, protocol: 'TCP' }] }] },
};

describe('KubeCluster.readBack against a loopback API server', () => {
  it('returns each object as the server stores it, unknown fields included, and undefined for one that is absent', async () => {
    stored.clear();
    stored.set('/api/v1/namespaces/bm-app', { ...namespace, metadata: { ...namespace.metadata, uid: 'u1', labels: { ...namespace.metadata.labels, 'kubernetes.io/metadata.name': 'bm-app' } }, status: { phase: 'Active' } });
    // A field the client's models do not know must survive the read (a model-typed read would drop it).
    stored.set('/apis/networking.k8s.io/v1/namespaces/bm-app/networkpolicies/bm-api-ingress', { ...apiIngress, spec: { ...(apiIngress['spec'] as object), futureField: 'kept' } });
    const sa: KubeObject = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'api', namespace: 'bm-app' } };
    const live = await (await cluster()).readBack([namespace, apiIngress, sa]);
    expect(live[0]?.metadata).toMatchObject({ name: 'bm-app', uid: 'u1' });
    expect((live[1]?.['spec'] as { futureField?: string }).futureField).toBe('kept');
    expect(live[2]).toBeUndefined();
    expect(readBackCheck([namespace, apiIngress], live.slice(0, 2))).toMatchObject({ passed: true, observed: '2 of 2 match' });
    expect(readBackCheck([namespace, apiIngress, sa], live)).toMatchObject({ passed: false, detail: 'ServiceAccount bm-app/api: absent from the cluster' });
  });

  it('an object altered on its way to the API server fails the read-back, naming the path', async () => {
    stored.clear();
    stored.set('/api/v1/namespaces/bm-app', namespace);
    const altered = structuredClone(apiIngress) as KubeObject & { spec: { ingress: { ports: { port: number }[] }[] } };
    const port = altered.spec.ingress[0]?.ports[0];
    if (port !== undefined) port.port = 9090;
    stored.set('/apis/networking.k8s.io/v1/namespaces/bm-app/networkpolicies/bm-api-ingress', altered);
    const live = await (await cluster()).readBack([namespace, apiIngress]);
    expect(readBackCheck([namespace, apiIngress], live)).toEqual({
      name: 'read-back of every applied object',
      kind: 'read-back',
      expected: '2 objects, each containing every field sent',
      observed: '1 of 2 differ',
      tries: 1,
      passed: false,
      detail: 'NetworkPolicy bm-app/bm-api-ingress: spec.ingress[0].ports[0].port: sent 8080, live 9090',
    });
  });

  it('an API failure other than 404 is an infrastructure error naming the object, never "absent"', async () => {
    const broken: KubeObject = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'broken', namespace: 'bm-app' } };
    const attempt = (await cluster()).readBack([broken]);
    await expect(attempt).rejects.toBeInstanceOf(InfrastructureError);
    await expect(attempt).rejects.toThrow(/read-back: ServiceAccount bm-app\/broken/);
  });
});
