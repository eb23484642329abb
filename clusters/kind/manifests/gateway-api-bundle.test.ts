import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProfileCatalog } from '../../../core/config/profiles-config.ts';
import { BadInputError } from '../../../core/domain/errors.ts';
import { loadProvenance, type Provenance } from '../../../manifests/contract/upstream-fixtures.ts';
import { loadKindPins } from '../pins-tools.ts';
import { DEFAULT_REPO_DIR } from '../plan/plan-kind-profile.ts';
import { GATEWAY_API_MANIFESTS_DIR, gatewayApiRefreshCommand, kubernetesDocuments, loadGatewayApiBundle, releaseInstallYaml, releaseOrder } from './gateway-api-bundle.ts';

let work: string;
let vendored: string[];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'bm-gateway-api-bundle-'));
  vendored = (await readdir(GATEWAY_API_MANIFESTS_DIR)).sort();
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** A copy of a vendored version to break. */
async function copyOf(version: string): Promise<string> {
  const root = await mkdtemp(join(work, 'root-'));
  await cp(join(GATEWAY_API_MANIFESTS_DIR, version), join(root, version), { recursive: true });
  return root;
}

async function rewriteProvenance(root: string, version: string, change: (provenance: Provenance) => Provenance): Promise<void> {
  const file = join(root, version, 'provenance.json');
  await writeFile(file, JSON.stringify(change(loadProvenance(file)), null, 2));
}

describe('vendored Gateway API releases', () => {
  it('every version a version set pins (pinned and next) is vendored; a version without a folder names the command that vendors it', async () => {
    const pins = await loadKindPins();
    const pinned = Object.values(pins.versionSets).map((versions) => versions.gatewayApi);
    expect(pinned.length).toBeGreaterThan(1);
    for (const version of pinned) {
      // A failure here is the loader's BadInputError, whose message names bin/refresh-gateway-api.ts for the version.
      expect(loadGatewayApiBundle(version).version).toBe(version);
    }
    const next = (await loadProfileCatalog(join(DEFAULT_REPO_DIR, 'clusters/kind/profiles-next.yaml'))).profiles;
    for (const profile of next.filter((candidate) => candidate.mesh === 'istio-ambient')) expect(vendored).toContain(profile.versions.gatewayApi);
    expect(() => loadGatewayApiBundle('v1.0.99')).toThrow(BadInputError);
    expect(() => loadGatewayApiBundle('v1.0.99')).toThrow(`vendor it on a machine with internet: ${gatewayApiRefreshCommand('v1.0.99')}`);
    expect(gatewayApiRefreshCommand('v1.0.99')).toBe('npx tsx bin/refresh-gateway-api.ts --version v1.0.99 --write');
  });

  it.each([['v1.5.0'], ['v1.6.1']])('%s: every file is byte for byte its provenance record, all from the tag, and nothing else is in the folder', async (version) => {
    const bundle = loadGatewayApiBundle(version);
    const provenance = loadProvenance(join(GATEWAY_API_MANIFESTS_DIR, version, 'provenance.json'));
    expect(new Set(provenance.files.map((entry) => entry.license))).toEqual(new Set([`Apache-2.0 (LICENSE of kubernetes-sigs/gateway-api at ${version})`]));
    expect(new Set(provenance.files.map((entry) => entry.commit))).toEqual(new Set([bundle.commit]));
    const present = (await readdir(join(GATEWAY_API_MANIFESTS_DIR, version))).sort();
    expect(present).toEqual([...provenance.files.map((entry) => entry.file), 'provenance.json'].sort());
  });

  it('the pinned tags are the commits `git rev-parse <tag>^{commit}` gives in kubernetes-sigs/gateway-api', () => {
    expect(loadGatewayApiBundle('v1.5.0').commit).toBe('3797b631d20f9ff4e2b4571f62d91d84a1fbdf5a');
    expect(loadGatewayApiBundle('v1.6.1').commit).toBe('8bb74df00e56ec8f944d48c25e6c1c9c2f6848e3');
  });

  it('holds what the release holds: the standard CRDs in name order, then the safe-upgrades admission policy and its binding', () => {
    const kinds = (version: string): string[] => loadGatewayApiBundle(version).manifests.flatMap((manifest) => manifest.objects.map((object) => `${object.kind}/${object.metadata.name}`));
    const crds = (plurals: string[]): string[] => plurals.map((plural) => `CustomResourceDefinition/${plural}.gateway.networking.k8s.io`);
    const policy = ['ValidatingAdmissionPolicy/safe-upgrades.gateway.networking.k8s.io', 'ValidatingAdmissionPolicyBinding/safe-upgrades.gateway.networking.k8s.io'];
    expect(kinds('v1.5.0')).toEqual([...crds(['backendtlspolicies', 'gatewayclasses', 'gateways', 'grpcroutes', 'httproutes', 'listenersets', 'referencegrants', 'tlsroutes']), ...policy]);
    expect(kinds('v1.6.1')).toEqual([
      ...crds(['backendtlspolicies', 'gatewayclasses', 'gateways', 'grpcroutes', 'httproutes', 'listenersets', 'referencegrants', 'tcproutes', 'tlsroutes', 'udproutes']),
      ...policy,
    ]);
    expect(releaseOrder(['config/crd/standard/gateway.b.yaml', 'config/crd/standard/gateway.a.yaml', 'config/crd/kustomization.yaml'])).toEqual([
      'config/crd/standard/gateway.a.yaml',
      'config/crd/standard/gateway.b.yaml',
    ]);
  });

  it('rebuilt as hack/build-install-yaml.sh concatenates them, the files are the published standard-install.yaml byte for byte', () => {
    // v1.6.1: sha256 recorded for the release asset by quenchworks/charts (quench/gateway-api-crds/README.md at
    // d5e2321359a134b7be804a07978df9d759f079c8) and several other public projects; size 1,170,953 bytes.
    // v1.5.0: the figure public projects pinning the download record (1,023,753 bytes, 10 objects, 8 CRDs).
    // Evidence that the vendored set is the whole release; the install applies the files, never this text.
    const v150 = releaseInstallYaml(loadGatewayApiBundle('v1.5.0'));
    expect([Buffer.byteLength(v150), sha256(v150)]).toEqual([1_023_753, '510338cf6709f84410efcce5269268f4c7c5067efdc5d04c75aa2fd2f8380c96']);
    const v161 = releaseInstallYaml(loadGatewayApiBundle('v1.6.1'));
    expect([Buffer.byteLength(v161), sha256(v161)]).toEqual([1_170_953, '24d931f22abd8e40c973264319ead7cfa09d0fb7716b7ab1ee2ff174cb063a73']);
  });

  it.each([['v1.5.0'], ['v1.6.1']])('%s serves what Istio needs: Gateway, GatewayClass, HTTPRoute and ReferenceGrant at v1beta1 (IST0156) and v1, TLSRoute at v1 (Istio 1.30+)', (version) => {
    // https://istio.io/latest/docs/reference/config/analysis/ist0156/: "Istio requires that the Gateway, GatewayClass,
    // HTTPRoute, and ReferenceGrant CRDs serve the v1beta1 version." The waypoint this harness applies is gateway.networking.k8s.io/v1.
    const bundle = loadGatewayApiBundle(version);
    const served = new Map<string, string[]>();
    for (const object of bundle.manifests.flatMap((manifest) => manifest.objects).filter((candidate) => candidate.kind === 'CustomResourceDefinition')) {
      const spec = (object as unknown as { spec: { versions: { name: string; served: boolean }[] } }).spec;
      served.set(object.metadata.name, spec.versions.filter((entry) => entry.served).map((entry) => entry.name));
      expect(object.metadata.annotations?.['gateway.networking.k8s.io/bundle-version'], object.metadata.name).toBe(version);
      expect(object.metadata.annotations?.['gateway.networking.k8s.io/channel'], object.metadata.name).toBe('standard');
    }
    for (const plural of ['gateways', 'gatewayclasses', 'httproutes', 'referencegrants']) {
      expect(served.get(`${plural}.gateway.networking.k8s.io`), plural).toEqual(expect.arrayContaining(['v1', 'v1beta1']));
    }
    // Istio 1.30 upgrade notes (https://istio.io/latest/es/news/releases/1.30.x/announcing-1.30/upgrade-notes/): istiod
    // reads TLSRoute and ReferenceGrant at gateway.networking.k8s.io/v1 and needs Gateway API v1.5 CRDs or later;
    // with older ones they are invisible to it. Istio 1.30 (pinned) keeps that floor.
    for (const plural of ['tlsroutes', 'referencegrants']) expect(served.get(`${plural}.gateway.networking.k8s.io`), plural).toContain('v1');
    expect(bundle.crdNames).toEqual([...served.keys()]);
  });

  it('refuses a changed byte, a file out of release order, a file from another tag, and a file the folder does not list', async () => {
    const flipped = await copyOf('v1.5.0');
    const target = join(flipped, 'v1.5.0', 'gateway.networking.k8s.io_gateways.yaml');
    await writeFile(target, (await readFile(target, 'utf8')).replace('default: Same', 'default: All'));
    expect(() => loadGatewayApiBundle('v1.5.0', flipped)).toThrow(/gateway\.networking\.k8s\.io_gateways\.yaml: sha256 [0-9a-f]{64}, provenance says/);
    expect(() => loadGatewayApiBundle('v1.5.0', flipped)).toThrow('re-vendor: npx tsx bin/refresh-gateway-api.ts --version v1.5.0 --write');

    const reordered = await copyOf('v1.5.0');
    await rewriteProvenance(reordered, 'v1.5.0', (provenance) => ({ files: [...provenance.files].reverse() }));
    expect(() => loadGatewayApiBundle('v1.5.0', reordered)).toThrow(/not config\/crd\/standard\/gateway\*\.yaml in name order/);

    const otherTag = await copyOf('v1.5.0');
    await rewriteProvenance(otherTag, 'v1.5.0', (provenance) => ({ files: provenance.files.map((entry) => ({ ...entry, ref: 'v1.6.1', url: entry.url.replace('/v1.5.0/', '/v1.6.1/') })) }));
    expect(() => loadGatewayApiBundle('v1.5.0', otherTag)).toThrow(/is from kubernetes-sigs\/gateway-api@v1\.6\.1/);

    const missing = await copyOf('v1.5.0');
    await rm(join(missing, 'v1.5.0', 'gateway.networking.k8s.io_tlsroutes.yaml'));
    expect(() => loadGatewayApiBundle('v1.5.0', missing)).toThrow('gateway.networking.k8s.io_tlsroutes.yaml is missing');
    expect(() => loadGatewayApiBundle('../v1.5.0')).toThrow(/not a Gateway API release tag/);

    const dropped = await copyOf('v1.5.0');
    await rewriteProvenance(dropped, 'v1.5.0', (provenance) => ({ files: provenance.files.filter((entry) => !entry.file.includes('vap_safeupgrades')) }));
    expect(() => loadGatewayApiBundle('v1.5.0', dropped)).toThrow('files provenance.json does not list: gateway.networking.k8s.io_vap_safeupgrades.yaml');
  });

  it('reads YAML as Kubernetes does, and refuses a file that YAML 1.1 and 1.2 read differently', () => {
    expect(kubernetesDocuments('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {x: "yes"}\n---\n', 'f')).toEqual([
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' }, data: { x: 'yes' } },
    ]);
    expect(() => kubernetesDocuments('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {x: yes}\n', 'f')).toThrow(/YAML 1\.1 and 1\.2 read this file differently/);
    expect(() => kubernetesDocuments('kind: ConfigMap\n', 'f')).toThrow(/without apiVersion, kind and metadata\.name/);
  });
});
