import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProfileCatalog } from '../../core/config/profiles-config.ts';
import type { KubeObject } from '../../core/domain/cluster.ts';
import { InfrastructureError } from '../../core/domain/errors.ts';
import { SCENE } from '../../manifests/scene.ts';
import type { KubeCluster } from './kube-cluster.ts';
import { loopbackKubeCluster } from './testing/loopback-kube-cluster.ts';
import { sendJson, startRecordingApiServer, type RecordingApiServer } from './testing/recording-api-server.ts';

/** The shared loopback API server: discovery and server-side apply recorded, plus a CRD watch and pod creation. */
const PSA_MESSAGE = 'pods "rogue-hn1" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true)';
const VAP_MESSAGE =
  "pods \"bm-lm2-x\" is forbidden: ValidatingAdmissionPolicy 'bm-hardened-workload-deployer' with binding 'bm-hardened-workload-deployer-binding' denied request: not the deployer";
const RBAC_MESSAGE = 'pods is forbidden: User "kubernetes-admin" cannot create resource "pods" in API group "" in the namespace "bm-lm"';

let server: RecordingApiServer;

beforeAll(async () => {
  server = await startRecordingApiServer({
    kinds: [
      { apiVersion: 'v1', kind: 'Namespace', resource: 'namespaces', namespaced: false },
      { apiVersion: 'v1', kind: 'Pod', resource: 'pods', namespaced: true },
      { apiVersion: 'v1', kind: 'ServiceAccount', resource: 'serviceaccounts', namespaced: true },
      { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', resource: 'customresourcedefinitions', namespaced: false },
      { apiVersion: 'example.com/v1', kind: 'Widget', resource: 'widgets', namespaced: true },
    ],
    route: (request, url, response) => {
      if (request.method === 'GET' && url.searchParams.get('watch') === 'true') {
        const name = (url.searchParams.get('fieldSelector') ?? '').replace('metadata.name=', '');
        response.writeHead(200, { 'content-type': 'application/json' });
        response.write(`${JSON.stringify({ type: 'ADDED', object: { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name }, status: { conditions: [{ type: 'Established', status: 'True' }] } } })}\n`);
        return true;
      }
      if (request.method === 'POST' && url.pathname === '/api/v1/namespaces/bm-rogue/pods') {
        sendJson(response, 403, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: PSA_MESSAGE, reason: 'Forbidden', code: 403 });
        return true;
      }
      // Refuses by who asks: the pod creator (impersonated) gets the admission policy's denial, anyone else RBAC's.
      if (request.method === 'POST' && url.pathname === '/api/v1/namespaces/bm-lm/pods') {
        const asPodCreator = request.headers['impersonate-user'] === SCENE.requesters.podCreator.username;
        const message = asPodCreator ? VAP_MESSAGE : RBAC_MESSAGE;
        sendJson(response, 403, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'Forbidden', code: 403 });
        return true;
      }
      if (request.method === 'POST' && url.pathname === '/api/v1/namespaces/bm-app/pods') {
        sendJson(response, 500, { kind: 'Status', status: 'Failure', message: 'etcdserver: request timed out', code: 500 });
        return true;
      }
      return false;
    },
  });
});

afterAll(async () => {
  await server[Symbol.asyncDispose]();
});

/** PATCH and WATCH requests, in order, as `PATCH <path> <content type> fieldManager=… force=…` / `WATCH <path> <selector>`. */
function log(): string[] {
  let apply = 0;
  return server.requests.flatMap((request) => {
    const [method = '', target = ''] = request.split(' ');
    const url = new URL(target, 'https://127.0.0.1');
    if (method === 'PATCH') {
      const recorded = server.applies[apply++];
      return [`PATCH ${url.pathname} ${recorded?.contentType ?? ''} fieldManager=${recorded?.fieldManager ?? null} force=${recorded?.force ?? null}`];
    }
    if (method === 'GET' && url.searchParams.get('watch') === 'true') return [`WATCH ${url.pathname} ${url.searchParams.get('fieldSelector')}`];
    return [];
  });
}

async function cluster(): Promise<KubeCluster> {
  const profile = (await loadProfileCatalog()).profiles[0];
  if (profile === undefined) throw new Error('no profile');
  return loopbackKubeCluster({
    name: 'fake',
    provider: 'kind',
    profile,
    kubeConfig: server.kubeConfig,
  });
}

describe('KubeCluster against a loopback API server', () => {
  it('server-side applies with the breachmatrix field manager: the CRD first and awaited Established, then the rest in order', async () => {
    server.requests.length = 0;
    server.applies.length = 0;
    const objects: KubeObject[] = [
      { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'bm-app' } },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'api', namespace: 'bm-app' } },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bm-app' } },
      { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'widgets.example.com' } },
    ];
    await (await cluster()).apply(objects);
    expect(log()).toEqual([
      'PATCH /apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com application/apply-patch+yaml fieldManager=breachmatrix force=false',
      'WATCH /apis/apiextensions.k8s.io/v1/customresourcedefinitions metadata.name=widgets.example.com',
      'PATCH /api/v1/namespaces/bm-app application/apply-patch+yaml fieldManager=breachmatrix force=false',
      'PATCH /api/v1/namespaces/bm-app/serviceaccounts/api application/apply-patch+yaml fieldManager=breachmatrix force=false',
      'PATCH /apis/example.com/v1/namespaces/bm-app/widgets/w application/apply-patch+yaml fieldManager=breachmatrix force=false',
    ]);
  });

  it('a PodSecurity 403 is an admission rejection with the API server message verbatim', async () => {
    const created = await (await cluster()).createPod(
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'rogue-hn1', namespace: 'bm-rogue' }, spec: { hostNetwork: true, containers: [{ name: 'main', image: 'x' }] } },
      { timeoutMs: 5_000 },
    );
    expect(created).toEqual({ status: 'rejected', layer: 'admission', message: PSA_MESSAGE });
  });

  it('a pod-creator pod is created impersonating the pod creator, and a ValidatingAdmissionPolicy 403 is an admission rejection', async () => {
    const spec = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bm-lm2-x', namespace: 'bm-lm' }, spec: { containers: [{ name: 'main', image: 'x' }] } };
    const created = await (await cluster()).createPod(spec, { timeoutMs: 5_000, requester: 'pod-creator' });
    expect(created).toEqual({ status: 'rejected', layer: 'admission', message: VAP_MESSAGE });
    // The harness's own request carries no impersonation; RBAC's 403 is not admission.
    const asHarness = (await cluster()).createPod(spec, { timeoutMs: 5_000 });
    await expect(asHarness).rejects.toBeInstanceOf(InfrastructureError);
    await expect(asHarness).rejects.toThrow(/cannot create resource/);
  });

  it('a pod asking for the node network (EV2\'s sniffer) is refused before any request, never created on a node', async () => {
    server.requests.length = 0;
    const attempt = (await cluster()).createPod(
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bm-ev2-1', namespace: 'bm-privileged', annotations: { 'breachmatrix.io/placement': 'node-network' } }, spec: { hostNetwork: true, containers: [{ name: 'main', image: 'x' }] } },
      { timeoutMs: 5_000 },
    );
    await expect(attempt).rejects.toBeInstanceOf(InfrastructureError);
    await expect(attempt).rejects.toThrow(/pod bm-privileged\/bm-ev2-1: asks for placement breachmatrix.io\/placement=node-network/);
    expect(server.requests).toEqual([]);
  });

  it('any other API failure is an infrastructure error naming the pod, never a rejection', async () => {
    const attempt = (await cluster()).createPod({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x', namespace: 'bm-app' }, spec: { containers: [{ name: 'main', image: 'x' }] } }, { timeoutMs: 5_000 });
    await expect(attempt).rejects.toBeInstanceOf(InfrastructureError);
    await expect(attempt).rejects.toThrow(/pod bm-app\/x: create failed/);
  });
});
