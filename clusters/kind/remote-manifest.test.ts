import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { KubeObject } from '../../core/domain/cluster.ts';
import { InfrastructureError } from '../../core/domain/errors.ts';
import { startRecordingApiServer, type RecordingApiServer } from '../k8s/testing/recording-api-server.ts';
import { DEFAULT_KIND_DEPS } from './kind-deps.ts';

/** Two CRDs as a release manifest carries them, with the schema markers that must survive. */
const CRDS: KubeObject[] = ['gateways', 'httproutes'].map((plural) => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `${plural}.gateway.networking.k8s.io` },
  spec: { group: 'gateway.networking.k8s.io', versions: [{ name: 'v1', schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, default: {} } } }] },
}));
const MANIFEST = `# release header comment\n${CRDS.map((crd) => stringify(crd)).join('---\n')}`;
const MANIFEST_SHA256 = createHash('sha256').update(MANIFEST).digest('hex');

let files: Server;
let manifestUrl: string;
let api: RecordingApiServer;
let work: string;
let kubeconfigPath: string;

beforeAll(async () => {
  files = createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/yaml' }).end(MANIFEST));
  await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
  manifestUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}/v1.5.0/standard-install.yaml`;
  api = await startRecordingApiServer({ kinds: [{ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', resource: 'customresourcedefinitions', namespaced: false }] });
  work = await mkdtemp(join(tmpdir(), 'bm-remote-manifest-'));
  kubeconfigPath = join(work, 'kubeconfig');
  await writeFile(kubeconfigPath, api.kubeConfig.exportConfig(), { mode: 0o600 });
});

afterAll(async () => {
  files.closeAllConnections();
  await new Promise<void>((resolve) => files.close(() => resolve()));
  await api[Symbol.asyncDispose]();
  await rm(work, { recursive: true, force: true });
});

describe('applying a downloaded release manifest', () => {
  it('a download that matches its pinned SHA-256 is applied, every document exactly as released', async () => {
    api.applies.length = 0;
    await DEFAULT_KIND_DEPS.kube(kubeconfigPath).applyRemote(manifestUrl, MANIFEST_SHA256);
    expect(api.applies.map((apply) => JSON.parse(apply.body) as unknown)).toEqual(CRDS);
  });

  it('a download that does not match is refused and nothing is applied', async () => {
    api.applies.length = 0;
    const wrong = 'ab'.repeat(32);
    const attempt = DEFAULT_KIND_DEPS.kube(kubeconfigPath).applyRemote(manifestUrl, wrong);
    await expect(attempt).rejects.toBeInstanceOf(InfrastructureError);
    await expect(attempt).rejects.toThrow(`checksum mismatch, expected sha256 ${wrong}, got ${MANIFEST_SHA256}; nothing was applied`);
    expect(api.applies).toEqual([]);
  });
});
