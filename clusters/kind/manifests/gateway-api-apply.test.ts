import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRecordingApiServer, type RecordingApiServer } from '../../k8s/testing/recording-api-server.ts';
import { DEFAULT_KIND_DEPS } from '../kind-deps.ts';
import { loadGatewayApiBundle } from './gateway-api-bundle.ts';

let api: RecordingApiServer;
let work: string;
let kubeconfigPath: string;

beforeAll(async () => {
  api = await startRecordingApiServer({
    kinds: [
      { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', resource: 'customresourcedefinitions', namespaced: false },
      { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy', resource: 'validatingadmissionpolicies', namespaced: false },
      { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', resource: 'validatingadmissionpolicybindings', namespaced: false },
    ],
  });
  work = await mkdtemp(join(tmpdir(), 'bm-gateway-api-apply-'));
  kubeconfigPath = join(work, 'kubeconfig');
  await writeFile(kubeconfigPath, api.kubeConfig.exportConfig(), { mode: 0o600 });
});

afterAll(async () => {
  await api[Symbol.asyncDispose]();
  await rm(work, { recursive: true, force: true });
});

describe('applying the vendored Gateway API release (recording API server)', () => {
  it.each([['v1.5.0'], ['v1.6.1']])('%s: every object reaches the API server exactly as vendored, in release order, by server-side apply', async (version) => {
    api.applies.length = 0;
    const objects = loadGatewayApiBundle(version).manifests.flatMap((manifest) => manifest.objects);
    await DEFAULT_KIND_DEPS.kube(kubeconfigPath).apply(objects, false);
    // Schemas keep enum, default, x-kubernetes-validations (CEL) and the rest: the body is the object, as JSON.
    expect(api.applies.map((apply) => apply.body)).toEqual(objects.map((object) => JSON.stringify(object)));
    expect(api.applies.at(-1)?.body).toContain('"kind":"ValidatingAdmissionPolicyBinding"');
    expect(api.applies.some((apply) => apply.body.includes('"x-kubernetes-validations"'))).toBe(true);
  });
});
