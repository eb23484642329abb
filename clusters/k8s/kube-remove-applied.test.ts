import { KubernetesObjectApi, PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProfileCatalog } from '../../core/config/profiles-config.ts';
import type { KubeObject } from '../../core/domain/cluster.ts';
import type { KubeCluster } from './kube-cluster.ts';
import { loopbackKubeCluster } from './testing/loopback-kube-cluster.ts';
import { kindsOf, resourceOf, startSimulatedApiServer, type SimulatedApiServer } from './testing/simulated-api-server.ts';

/**
 * Cluster.removeApplied on the wire (depth on kube providers): which requests, in which order, with which bodies,
 * against an HTTPS API server that keeps uids and field managers and honours DeleteOptions preconditions.
 */
const managed = { 'app.kubernetes.io/managed-by': 'breachmatrix' };
const netpol: KubeObject = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'bm-default-deny', namespace: 'bm-app', labels: managed }, spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] } };
const authz: KubeObject = { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'bm-api-allow', namespace: 'bm-app', labels: managed }, spec: { action: 'ALLOW', rules: [{ from: [{ source: { principals: ['cluster.local/ns/bm-app/sa/frontend'] } }] }] } };
const binding: KubeObject = { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', metadata: { name: 'bm-hardened-pod-guard-binding', labels: managed }, spec: { policyName: 'bm-hardened-pod-guard', validationActions: ['Deny'] } };
const unlabelled: KubeObject = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'bm-unlabelled', namespace: 'bm-app' }, spec: { podSelector: {} } };
const theirs: KubeObject = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'team-policy', namespace: 'bm-app', labels: managed }, spec: { podSelector: {} } };

let api: SimulatedApiServer;

beforeAll(async () => {
  api = await startSimulatedApiServer({ kinds: kindsOf([netpol, authz, binding]), exec: () => ({ stdout: '', exitCode: 0 }) });
});

afterAll(async () => {
  await api[Symbol.asyncDispose]();
});

async function cluster(): Promise<KubeCluster> {
  const profile = (await loadProfileCatalog()).profiles[0];
  if (profile === undefined) throw new Error('no profile');
  return loopbackKubeCluster({ name: 'remove-applied', provider: 'kubeconfig', profile, kubeConfig: api.kubeConfig });
}

function pathOf(object: KubeObject): string {
  const resource = resourceOf(object.kind);
  const base = object.apiVersion.includes('/') ? `/apis/${object.apiVersion}` : `/api/${object.apiVersion}`;
  return object.metadata.namespace === undefined ? `${base}/${resource}/${object.metadata.name}` : `${base}/namespaces/${object.metadata.namespace}/${resource}/${object.metadata.name}`;
}

function uidOf(object: KubeObject): string {
  return String((api.stored.get(pathOf(object))?.metadata as { uid?: string } | undefined)?.uid);
}

/** The requests since `from` that name one of `objects`, as `METHOD path` (reads, deletes and applies). */
function requestsFor(from: number, objects: readonly KubeObject[]): string[] {
  const paths = new Set(objects.map(pathOf));
  return api.requests.slice(from).filter((request) => paths.has(request.split(' ')[1]?.split('?')[0] ?? ''));
}

describe('KubeCluster.removeApplied (in-place depth) on the wire', () => {
  it('deletes exactly the instances this run applied, each with its uid as precondition, waits for 404, and re-applies the same bodies', async () => {
    const kube = await cluster();
    await kube.apply([netpol, authz, binding]);
    const uids = [netpol, authz, binding].map(uidOf);
    expect(new Set(uids).size).toBe(3);
    const requestsBefore = api.requests.length;
    const deletesBefore = api.deletes.length;
    const appliesBefore = api.applies.length;

    await kube.removeApplied([authz, binding, netpol]);
    expect(api.deletes.slice(deletesBefore)).toEqual([
      { path: pathOf(authz), body: JSON.stringify({ apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { uid: uids[1] } }), status: 200 },
      { path: pathOf(binding), body: JSON.stringify({ apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { uid: uids[2] } }), status: 200 },
      { path: pathOf(netpol), body: JSON.stringify({ apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { uid: uids[0] } }), status: 200 },
    ]);
    // Read first (ownership, nothing deleted on a refusal), then the deletes in the order given, then read back absent.
    const seen = requestsFor(requestsBefore, [netpol, authz, binding]);
    const reads = [netpol, authz, binding].map((object) => `GET ${pathOf(object)}`).sort();
    expect(seen.slice(0, 3).sort()).toEqual(reads);
    expect(seen.slice(3, 6)).toEqual([`DELETE ${pathOf(authz)}`, `DELETE ${pathOf(binding)}`, `DELETE ${pathOf(netpol)}`]);
    expect(seen.slice(6).sort()).toEqual(reads);
    expect(await kube.readBack([netpol, authz, binding])).toEqual([undefined, undefined, undefined]);

    // Restoration: the same objects, byte for byte, by server-side apply; the new instances are the ones a later pass may delete.
    await kube.apply([authz, binding, netpol]);
    // (in apply order: the binding ranks before the policies, clusters/k8s/apply-order.ts)
    expect(api.applies.slice(appliesBefore).map((apply) => JSON.parse(apply.body) as KubeObject)).toEqual([binding, authz, netpol]);
    const restored = [netpol, authz, binding].map(uidOf);
    expect(restored.some((uid, index) => uid === uids[index])).toBe(false);
    const again = api.deletes.length;
    await kube.removeApplied([netpol]);
    expect(api.deletes.slice(again).map((entry) => entry.body)).toEqual([JSON.stringify({ apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { uid: restored[0] } })]);
    await kube.apply([netpol]);
  });

  it('refuses, deleting nothing, anything this run did not create and alone manage', async () => {
    const kube = await cluster();
    await kube.apply([netpol, authz, unlabelled]);
    // Someone else's object under the run's label, which the run then also applied: two field managers.
    const other = KubernetesObjectApi.makeApiClient(api.kubeConfig);
    await other.patch(theirs as KubernetesObject, undefined, undefined, 'kubectl', true, PatchStrategy.ServerSideApply);
    await kube.apply([theirs]);
    // An instance another run (another cluster object) applied, never this one.
    const stranger: KubeObject = { ...netpol, metadata: { ...netpol.metadata, name: 'bm-other-run' } };
    await (await cluster()).apply([stranger]);
    const deletesBefore = api.deletes.length;

    await expect(kube.removeApplied([netpol, theirs])).rejects.toThrow(/refusing to delete \(nothing deleted\): NetworkPolicy bm-app\/team-policy: not created and solely managed by this run/);
    await expect(kube.removeApplied([netpol, stranger])).rejects.toThrow(/NetworkPolicy bm-app\/bm-other-run: not created and solely managed by this run/);
    await expect(kube.removeApplied([authz, unlabelled])).rejects.toThrow(/NetworkPolicy bm-app\/bm-unlabelled: no app.kubernetes.io\/managed-by=breachmatrix label/);
    expect(api.deletes.slice(deletesBefore)).toEqual([]);
    expect((await kube.readBack([netpol, authz, theirs, stranger])).every((live) => live !== undefined)).toBe(true);

    // The run's instance deleted and made again by someone else meanwhile: same name, another uid.
    const ours = uidOf(netpol);
    await other.delete(netpol as KubernetesObject);
    await (await cluster()).apply([netpol]);
    const replacement = uidOf(netpol);
    expect(replacement).not.toBe(ours);
    const deletesAfterReplacement = api.deletes.length;
    await expect(kube.removeApplied([netpol])).rejects.toThrow(`NetworkPolicy bm-app/bm-default-deny: uid ${replacement} is not the ${ours} this run applied`);
    expect(api.deletes.slice(deletesAfterReplacement)).toEqual([]);
  });
});
