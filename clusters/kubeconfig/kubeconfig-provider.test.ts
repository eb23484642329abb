import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProfileCatalog } from '../../core/config/profiles-config.ts';
import { BadInputError } from '../../core/domain/errors.ts';
import type { Profile } from '../../core/domain/profile.ts';
import { createKubeconfigProvider } from './index.ts';
import { startLoopbackApiServer, type LoopbackApiServer } from './testing/loopback-api-server.ts';

let api: LoopbackApiServer | undefined;
let work: string;
let serverUrl: string;
let kubeconfigPath: string;
let requests: string[];
let profile: Profile;

beforeAll(async () => {
  api = await startLoopbackApiServer('bm-kubeconfig-', (_request, response) => {
    response.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'Status', status: 'Failure', code: 404 }));
  });
  ({ dir: work, url: serverUrl, kubeconfigPath, requests } = api);
  const first = (await loadProfileCatalog()).profiles[0];
  if (first === undefined) throw new Error('no profiles');
  profile = first;
});

afterAll(async () => {
  await api?.close();
});

const create = { runId: 'r1', onProgress: (): void => undefined };

describe('kubeconfig provider safety guard', () => {
  it('without the opt-in flag: BadInputError naming the flag, and the server receives zero requests', () => {
    requests.length = 0;
    expect(() => createKubeconfigProvider({ kubeconfigPath, context: 'lab-cluster', iUnderstand: false })).toThrow(BadInputError);
    expect(() => createKubeconfigProvider({ kubeconfigPath, context: 'lab-cluster', iUnderstand: false })).toThrow(
      /--i-understand-this-attacks-the-cluster/,
    );
    expect(requests).toEqual([]);
  });

  it('when the context points at another server than the one named: BadInputError, zero requests', () => {
    requests.length = 0;
    expect(() =>
      createKubeconfigProvider({ kubeconfigPath, context: 'lab-cluster', iUnderstand: true, expectedServer: 'https://prod.example:6443' }),
    ).toThrow(/points at http:\/\/127\.0\.0\.1:\d+, not at https:\/\/prod\.example:6443/);
    expect(requests).toEqual([]);
  });

  it('an unknown context is bad input listing the known ones, zero requests', () => {
    requests.length = 0;
    expect(() => createKubeconfigProvider({ kubeconfigPath, context: 'prod', iUnderstand: true })).toThrow(/no context "prod".*allowed: lab-cluster/);
    expect(requests).toEqual([]);
  });

  it('with the opt-in and the expected server, the cluster talks to that server (so the zero counts above mean something)', async () => {
    requests.length = 0;
    const provider = createKubeconfigProvider({ kubeconfigPath, context: 'lab-cluster', iUnderstand: true, expectedServer: `${serverUrl}/` });
    await provider.preflight();
    expect(requests).toEqual([]);
    const cluster = await provider.create(profile, create);
    expect(cluster.provider).toBe('kubeconfig');
    await expect(cluster.apply([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bm-app' } }])).rejects.toThrow(/apply: Namespace/);
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.every((line) => line.includes('/api'))).toBe(true);
  });

  it('refuses a context that is in no file: with no kubeconfig and KUBECONFIG unset, client-node’s synthesised "loaded-context" is not accepted', () => {
    requests.length = 0;
    const saved = { home: process.env['HOME'], kubeconfig: process.env['KUBECONFIG'] };
    process.env['HOME'] = work;
    delete process.env['KUBECONFIG'];
    try {
      expect(() => createKubeconfigProvider({ context: 'loaded-context', iUnderstand: true })).toThrow(BadInputError);
      expect(() => createKubeconfigProvider({ context: 'loaded-context', iUnderstand: true })).toThrow(/kubeconfig file .*\.kube\/config does not exist/);
      process.env['KUBECONFIG'] = join(work, 'missing-kubeconfig');
      expect(() => createKubeconfigProvider({ context: 'loaded-context', iUnderstand: true })).toThrow(/\$KUBECONFIG.*missing-kubeconfig does not exist/);
      // The same context name from a real file listed in $KUBECONFIG is accepted.
      process.env['KUBECONFIG'] = kubeconfigPath;
      expect(() => createKubeconfigProvider({ context: 'lab-cluster', iUnderstand: true })).not.toThrow();
    } finally {
      if (saved.home === undefined) delete process.env['HOME'];
      else process.env['HOME'] = saved.home;
      if (saved.kubeconfig === undefined) delete process.env['KUBECONFIG'];
      else process.env['KUBECONFIG'] = saved.kubeconfig;
    }
    expect(requests).toEqual([]);
  });
});
