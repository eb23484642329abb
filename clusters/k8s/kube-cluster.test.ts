import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProfileCatalog } from '../../core/config/profiles-config.ts';
import type { KubeObject } from '../../core/domain/cluster.ts';
import { InfrastructureError } from '../../core/domain/errors.ts';
import { KubeCluster } from './kube-cluster.ts';

/** A loopback stand-in for the API server: discovery, server-side apply, a CRD watch and pod creation. */
const DISCOVERY: Record<string, { name: string; namespaced: boolean; kind: string }[]> = {
  '/api/v1': [
    { name: 'namespaces', namespaced: false, kind: 'Namespace' },
    { name: 'pods', namespaced: true, kind: 'Pod' },
    { name: 'serviceaccounts', namespaced: true, kind: 'ServiceAccount' },
  ],
  '/apis/apiextensions.k8s.io/v1': [{ name: 'customresourcedefinitions', namespaced: false, kind: 'CustomResourceDefinition' }],
  '/apis/example.com/v1': [{ name: 'widgets', namespaced: true, kind: 'Widget' }],
};

const PSA_MESSAGE = 'pods "rogue-hn1" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true)';

let server: Server;
let kubeConfig: KubeConfig;
const log: string[] = [];

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function handle(request: IncomingMessage, response: ServerResponse): void {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const discovery = DISCOVERY[url.pathname];
  if (request.method === 'GET' && discovery !== undefined) {
    json(response, 200, { kind: 'APIResourceList', groupVersion: url.pathname.replace(/^\/apis?\//, ''), resources: discovery.map((resource) => ({ ...resource, singularName: '', verbs: [] })) });
    return;
  }
  if (request.method === 'PATCH') {
    log.push(`PATCH ${url.pathname} ${request.headers['content-type'] ?? ''} fieldManager=${url.searchParams.get('fieldManager')} force=${url.searchParams.get('force')}`);
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => json(response, 200, JSON.parse(body) as unknown));
    return;
  }
  if (request.method === 'GET' && url.searchParams.get('watch') === 'true') {
    log.push(`WATCH ${url.pathname} ${url.searchParams.get('fieldSelector')}`);
    const name = (url.searchParams.get('fieldSelector') ?? '').replace('metadata.name=', '');
    response.writeHead(200, { 'content-type': 'application/json' });
    response.write(`${JSON.stringify({ type: 'ADDED', object: { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name }, status: { conditions: [{ type: 'Established', status: 'True' }] } } })}\n`);
    return;
  }
  if (request.method === 'POST' && url.pathname === '/api/v1/namespaces/bm-rogue/pods') {
    log.push(`POST ${url.pathname}`);
    json(response, 403, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: PSA_MESSAGE, reason: 'Forbidden', code: 403 });
    return;
  }
  if (request.method === 'POST' && url.pathname === '/api/v1/namespaces/bm-app/pods') {
    json(response, 500, { kind: 'Status', status: 'Failure', message: 'etcdserver: request timed out', code: 500 });
    return;
  }
  json(response, 404, { kind: 'Status', status: 'Failure', code: 404, message: `no route ${request.method} ${url.pathname}` });
}

beforeAll(async () => {
  server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'fake', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true }],
    users: [{ name: 'fake', token: 'fake' }],
    contexts: [{ name: 'fake', cluster: 'fake', user: 'fake' }],
    currentContext: 'fake',
  });
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function cluster(): Promise<KubeCluster> {
  const profile = (await loadProfileCatalog()).profiles[0];
  if (profile === undefined) throw new Error('no profile');
  return new KubeCluster({
    name: 'fake',
    provider: 'kind',
    profile,
    kubeConfig,
    addresses: () => Promise.reject(new Error('unused')),
    sinkReceived: () => Promise.resolve([]),
  });
}

describe('KubeCluster against a loopback API server', () => {
  it('server-side applies with the breachmatrix field manager: the CRD first and awaited Established, then the rest in order', async () => {
    log.length = 0;
    const objects: KubeObject[] = [
      { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'bm-app' } },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'api', namespace: 'bm-app' } },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bm-app' } },
      { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'widgets.example.com' } },
    ];
    await (await cluster()).apply(objects);
    expect(log).toEqual([
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

  it('any other API failure is an infrastructure error naming the pod, never a rejection', async () => {
    const attempt = (await cluster()).createPod({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x', namespace: 'bm-app' }, spec: { containers: [{ name: 'main', image: 'x' }] } }, { timeoutMs: 5_000 });
    await expect(attempt).rejects.toBeInstanceOf(InfrastructureError);
    await expect(attempt).rejects.toThrow(/pod bm-app\/x: create failed/);
  });
});
