import type { ServerResponse } from 'node:http';
import { KubeConfig, Watch, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKindProfiles } from '../../core/config/testing/all-profiles.ts';
import { InfrastructureError } from '../../core/domain/errors.ts';
import type { KubeCluster } from './kube-cluster.ts';
import { loopbackKubeCluster } from './testing/loopback-kube-cluster.ts';
import { CLIENT_NODE_WATCH_IDLE_MS } from './restarting-watch.ts';
import { waitFor } from './wait-for.ts';
import { sendJson, startRecordingApiServer, type RecordingApiServer } from './testing/recording-api-server.ts';

/** Short enough for a fast test; the real limit is client-node's 30 s. */
const IDLE_LIMIT_MS = 300;

function pod(name: string, resourceVersion: string, running: boolean): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'bm-app', resourceVersion },
    spec: { containers: [{ name: 'main', image: 'x' }] },
    status: running
      ? { phase: 'Running', podIP: '10.244.0.9', containerStatuses: [{ name: 'main', image: 'x', imageID: '', ready: true, restartCount: 0, state: { running: {} } }] }
      : { phase: 'Pending', containerStatuses: [{ name: 'main', image: 'x', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }] },
  };
}

function event(response: ServerResponse, type: string, object: unknown): void {
  response.write(`${JSON.stringify({ type, object })}\n`);
}

/** Each pod name is a scenario; the first watch of it misbehaves, a later one (from resourceVersion 100) reports it Running. */
const watchCalls = new Map<string, URLSearchParams[]>();
let server: RecordingApiServer;

beforeAll(async () => {
  server = await startRecordingApiServer({
    kinds: [{ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', resource: 'customresourcedefinitions', namespaced: false }],
    route: (request, url, response) => {
      if (request.method === 'GET' && url.pathname === '/apis/apiextensions.k8s.io/v1/customresourcedefinitions' && url.searchParams.get('watch') === 'true') {
        const calls = [...(watchCalls.get('crd') ?? []), url.searchParams];
        watchCalls.set('crd', calls);
        const established = calls.length > 1;
        response.writeHead(200, { 'content-type': 'application/json' });
        event(response, calls.length === 1 ? 'ADDED' : 'MODIFIED', {
          apiVersion: 'apiextensions.k8s.io/v1',
          kind: 'CustomResourceDefinition',
          metadata: { name: 'widgets.example.com', resourceVersion: established ? '8' : '7' },
          status: { conditions: [{ type: 'Established', status: established ? 'True' : 'False' }] },
        });
        if (!established) response.end();
        return true;
      }
      if (request.method === 'POST' && url.pathname === '/api/v1/namespaces/bm-app/pods') {
        let body = '';
        request.on('data', (chunk: Buffer) => (body += chunk.toString()));
        request.on('end', () => sendJson(response, 201, JSON.parse(body) as unknown));
        return true;
      }
      if (request.method !== 'GET' || url.searchParams.get('watch') !== 'true') return false;
      const name = (url.searchParams.get('fieldSelector') ?? '').replace('metadata.name=', '');
      const calls = [...(watchCalls.get(name) ?? []), url.searchParams];
      watchCalls.set(name, calls);
      if (name === 'failing') {
        sendJson(response, 500, { kind: 'Status', status: 'Failure', code: 500, message: 'etcdserver: leader changed' });
        return true;
      }
      if (name === 'forbidden') {
        sendJson(response, 403, { kind: 'Status', status: 'Failure', code: 403, message: 'pods is forbidden' });
        return true;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      if (calls.length === 1 || name === 'never-ready') {
        event(response, 'ADDED', pod(name, '100', false));
        if (name === 'quiet') return true; // say nothing more: client-node's idle limit ends it
        response.end(); // the API server closing the watch normally
        return true;
      }
      event(response, 'MODIFIED', pod(name, '101', true));
      return true;
    },
  });
});

afterAll(async () => {
  await server[Symbol.asyncDispose]();
});

async function cluster(): Promise<KubeCluster> {
  const profile = (await loadKindProfiles())[0];
  if (profile === undefined) throw new Error('no profile');
  return loopbackKubeCluster({
    name: 'recording',
    provider: 'kind',
    profile,
    kubeConfig: server.kubeConfig,
    watchIdleLimitMs: IDLE_LIMIT_MS,
  });
}

function podSpec(name: string): V1Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'bm-app' }, spec: { containers: [{ name: 'main', image: 'x' }] } };
}

describe('pod watch restarts', () => {
  it('uses client-node\'s real inactivity limit as its default', () => {
    expect(Reflect.get(new Watch(new KubeConfig()), 'requestTimeoutMs')).toBe(CLIENT_NODE_WATCH_IDLE_MS);
  });

  it('a stream quiet for longer than the idle limit is watched again from the last resourceVersion', async () => {
    const created = await (await cluster()).createPod(podSpec('quiet'), { timeoutMs: 10_000 });
    expect(created.status).toBe('running');
    const calls = watchCalls.get('quiet') ?? [];
    expect(calls).toHaveLength(2);
    expect(calls[0]?.get('resourceVersion')).toBeNull();
    expect(calls[1]?.get('resourceVersion')).toBe('100');
  });

  it('a stream the server ends normally is watched again from the last resourceVersion', async () => {
    const created = await (await cluster()).createPod(podSpec('ends'), { timeoutMs: 10_000 });
    expect(created.status).toBe('running');
    const calls = watchCalls.get('ends') ?? [];
    expect(calls).toHaveLength(2);
    expect(calls[1]?.get('resourceVersion')).toBe('100');
  });

  it('past the deadline it is an infrastructure error naming the pod, its phase and the restarts', async () => {
    const attempt = (await cluster()).createPod(podSpec('never-ready'), { timeoutMs: 2_000 });
    await expect(attempt).rejects.toBeInstanceOf(InfrastructureError);
    await expect(attempt).rejects.toThrow(/pod bm-app\/never-ready: not running after 2000 ms \(phase Pending; watch restarted \d+ times, last end: stream ended\)/);
    expect((watchCalls.get('never-ready') ?? []).length).toBeGreaterThan(1);
  });

  it('waitFor (CRDs, rollouts) restarts an ended watch from the last resourceVersion too, and stops on interrupt', async () => {
    const crd = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: 'widgets.example.com' };
    await waitFor(server.kubeConfig, crd, 'Established', 10_000);
    expect((watchCalls.get('crd') ?? []).map((call) => call.get('resourceVersion'))).toEqual([null, '7']);
    const interrupted = new AbortController();
    interrupted.abort();
    await expect(waitFor(server.kubeConfig, crd, 'Established', 10_000, interrupted.signal)).rejects.toThrow(/CustomResourceDefinition widgets\.example\.com: interrupted while waiting/);
  });

  it('a watch that keeps failing is retried with a growing pause, and the deadline names the last failure', async () => {
    const attempt = (await cluster()).createPod(podSpec('failing'), { timeoutMs: 2_000 });
    await expect(attempt).rejects.toThrow(/pod bm-app\/failing: not running after 2000 ms \(phase unknown; watch restarted \d+ times, last end: Error: Internal Server Error\)/);
    // 250, 500, 1000 ms pauses fit in 2 s: four watches at most, where a fixed 250 ms pause would make eight.
    expect((watchCalls.get('failing') ?? []).length).toBeLessThanOrEqual(4);
    expect((watchCalls.get('failing') ?? []).length).toBeGreaterThanOrEqual(2);
  });

  it('a watch the API server refuses ends the wait at once', async () => {
    const started = Date.now();
    const attempt = (await cluster()).createPod(podSpec('forbidden'), { timeoutMs: 10_000 });
    await expect(attempt).rejects.toThrow(/pod bm-app\/forbidden: watch refused by the API server \(HTTP 403\)/);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(watchCalls.get('forbidden')).toHaveLength(1);
  });
});
