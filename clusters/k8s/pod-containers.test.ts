import { readFileSync } from 'node:fs';
import type { V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKindProfiles } from '../../core/config/testing/all-profiles.ts';
import { loopbackKubeCluster } from './testing/loopback-kube-cluster.ts';
import { runsContainer } from './pod-containers.ts';
import { sendJson, startRecordingApiServer, type RecordingApiServer } from './testing/recording-api-server.ts';

/** A pod as current Istio injects it with native sidecars: istio-proxy is an init container with restartPolicy Always. */
const NATIVE_SIDECAR_POD = JSON.parse(readFileSync(new URL('./fixtures/istio-native-sidecar-pod.json', import.meta.url), 'utf8')) as V1Pod;

describe('runsContainer', () => {
  it('finds istio-proxy as a native sidecar (init container with restartPolicy Always)', () => {
    expect(NATIVE_SIDECAR_POD.spec?.containers.map((container) => container.name)).toEqual(['main']);
    expect(runsContainer(NATIVE_SIDECAR_POD, 'istio-proxy')).toBe(true);
    expect(runsContainer(NATIVE_SIDECAR_POD, 'main')).toBe(true);
  });

  it('does not count a plain init container that runs to completion', () => {
    expect(runsContainer(NATIVE_SIDECAR_POD, 'istio-init')).toBe(false);
    expect(runsContainer(NATIVE_SIDECAR_POD, 'absent')).toBe(false);
  });

  it('still finds a classic sidecar in spec.containers', () => {
    const classic: V1Pod = { spec: { containers: [{ name: 'main' }, { name: 'istio-proxy' }] } };
    expect(runsContainer(classic, 'istio-proxy')).toBe(true);
  });
});

describe('sidecar evidence reads the native sidecar\'s log', () => {
  let server: RecordingApiServer;
  beforeAll(async () => {
    server = await startRecordingApiServer({
      kinds: [],
      route: (request, url, response) => {
        if (request.method !== 'GET') return false;
        const list = /^\/api\/v1\/namespaces\/([^/]+)\/pods$/.exec(url.pathname);
        if (list !== null) {
          const items = list[1] === NATIVE_SIDECAR_POD.metadata?.namespace ? [NATIVE_SIDECAR_POD] : [];
          sendJson(response, 200, { apiVersion: 'v1', kind: 'PodList', metadata: {}, items });
          return true;
        }
        if (url.pathname.endsWith('/log')) {
          response.writeHead(200, { 'content-type': 'text/plain' }).end('');
          return true;
        }
        return false;
      },
    });
  });
  afterAll(async () => {
    await server[Symbol.asyncDispose]();
  });

  it('asks for the istio-proxy log of a pod whose proxy is a native sidecar', async () => {
    const profile = (await loadKindProfiles()).find((candidate) => candidate.id === 'istio-sidecar');
    if (profile === undefined) throw new Error('no istio-sidecar profile');
    const cluster = loopbackKubeCluster({
      name: 'recording',
      provider: 'kind',
      profile,
      kubeConfig: server.kubeConfig,
    });
    const now = new Date();
    await cluster.collectEvidence({ window: { from: new Date(now.getTime() - 5_000), to: now }, flow: { protocol: 'http' } });
    const logReads = server.requests.filter((request) => request.includes('/log?'));
    expect(logReads).toHaveLength(1);
    expect(logReads[0]).toMatch(/^GET \/api\/v1\/namespaces\/bm-app\/pods\/api-7c9d8b6f5-x2kqp\/log\?container=istio-proxy&sinceSeconds=\d+$/);
  });
});
