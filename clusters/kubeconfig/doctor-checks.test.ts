import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runChecks, type CheckOutcome } from '../../core/doctor/check.ts';
import { realHostProbes } from '../../core/doctor/host-probes.ts';
import { kubeconfigDoctorChecks } from './doctor-checks.ts';
import { kubeconfigCandidates } from './guard.ts';
import type { KubeconfigTarget } from './guard.ts';
import { startLoopbackApiServer, type LoopbackApiServer } from './testing/loopback-api-server.ts';

let api: LoopbackApiServer | undefined;
let work: string;
let serverUrl: string;
let kubeconfigPath: string;
let requests: string[];

beforeAll(async () => {
  api = await startLoopbackApiServer('bm-doctor-kubeconfig-', (request, response) => {
    if (request.url === '/version') {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ major: '1', minor: '36', gitVersion: 'v1.36.1', platform: 'linux/amd64' }));
      return;
    }
    response.writeHead(404).end();
  });
  ({ dir: work, url: serverUrl, kubeconfigPath, requests } = api);
});

afterAll(async () => {
  await api?.close();
});

async function doctor(target: Partial<KubeconfigTarget>): Promise<Map<string, CheckOutcome>> {
  const checks = kubeconfigDoctorChecks({ target: { context: 'lab-cluster', iUnderstand: false, kubeconfigPath, ...target }, probes: realHostProbes() });
  return new Map((await runChecks(checks)).map((outcome) => [outcome.id, outcome]));
}

describe('kubeconfig doctor', () => {
  it('without consent: file and context pass, consent fails, and no request reaches the server', async () => {
    requests.length = 0;
    const byId = await doctor({});
    expect(byId.get('kubeconfig.file')).toMatchObject({ status: 'ok', detail: `reading ${kubeconfigPath}` });
    expect(byId.get('kubeconfig.context')).toMatchObject({ status: 'ok', detail: `context "lab-cluster" → cluster local at ${serverUrl}` });
    expect(byId.get('kubeconfig.consent')).toMatchObject({ status: 'fail', fix: 'add --i-understand-this-attacks-the-cluster if this cluster may be attacked' });
    expect(byId.get('kubeconfig.api')?.status).toBe('fail');
    expect(byId.get('kubeconfig.api')?.detail).toMatch(/^not contacted/);
    expect(requests).toEqual([]);
  });

  it('with consent: asks /version and reports it', async () => {
    requests.length = 0;
    const byId = await doctor({ iUnderstand: true, expectedServer: `${serverUrl}/` });
    expect([...byId.values()].filter((outcome) => outcome.status !== 'ok')).toEqual([]);
    expect(byId.get('kubeconfig.context')?.detail).toContain('(matches --server)');
    expect(byId.get('kubeconfig.api')?.detail).toBe(`${serverUrl} answers /version: v1.36.1`);
    expect(requests).toEqual(['GET /version']);
  });

  it('fails a missing file, an unknown context and a server mismatch with the guard’s own messages', async () => {
    const missing = await doctor({ kubeconfigPath: join(work, 'nope') });
    expect(missing.get('kubeconfig.file')).toMatchObject({ status: 'fail', detail: `no readable kubeconfig at ${join(work, 'nope')}` });
    expect(missing.get('kubeconfig.context')).toMatchObject({ status: 'fail', detail: 'no kubeconfig file to look for context "lab-cluster" in' });
    const unknown = await doctor({ context: 'prod' });
    expect(unknown.get('kubeconfig.context')).toMatchObject({ status: 'fail', detail: `--kubeconfig: no context "prod" in ${kubeconfigPath} (allowed: lab-cluster)` });
    const elsewhere = await doctor({ expectedServer: 'https://prod.example:6443' });
    expect(elsewhere.get('kubeconfig.context')?.detail).toBe(`--server: context "lab-cluster" points at ${serverUrl}, not at https://prod.example:6443 (allowed: ${serverUrl})`);
    const none = await doctor({ context: '' });
    expect(none.get('kubeconfig.context')).toMatchObject({ status: 'fail', fix: 'pass --context <name> (see `kubectl config get-contexts`)' });
  });

  it('fails when the consented server does not answer', async () => {
    const dead = join(work, 'dead');
    await writeFile(
      dead,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'gone', cluster: { server: 'http://127.0.0.1:9', 'insecure-skip-tls-verify': true } }],
        users: [{ name: 'tester', user: { token: 'x' } }],
        contexts: [{ name: 'lab-cluster', context: { cluster: 'gone', user: 'tester' } }],
      }),
    );
    const byId = await doctor({ kubeconfigPath: dead, iUnderstand: true });
    expect(byId.get('kubeconfig.api')?.status).toBe('fail');
    expect(byId.get('kubeconfig.api')?.detail).toMatch(/^http:\/\/127\.0\.0\.1:9 did not answer \/version: /);
  });

  it('reads --kubeconfig, else each $KUBECONFIG entry, else ~/.kube/config', () => {
    expect(kubeconfigCandidates('/a', { KUBECONFIG: '/b' }).files).toEqual(['/a']);
    expect(kubeconfigCandidates(undefined, { KUBECONFIG: '/b:/c' }).files).toEqual(['/b', '/c']);
    expect(kubeconfigCandidates(undefined, { HOME: '/home/u' }).files).toEqual(['/home/u/.kube/config']);
  });
});
