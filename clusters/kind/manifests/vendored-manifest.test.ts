import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { VENDORED_MANIFESTS_DIR, loadVendoredRelease, type VendoredRelease } from './vendored-manifest.ts';

const CALICO: VendoredRelease = { component: 'calico', repository: 'projectcalico/calico', upstreamPath: 'manifests/operator-crds.yaml', version: 'v3.32.1' };
const FLANNEL: VendoredRelease = { component: 'flannel', repository: 'flannel-io/flannel', upstreamPath: 'Documentation/kube-flannel.yml', version: 'v0.28.9' };

let scratch: string | undefined;
afterEach(async () => {
  if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
  scratch = undefined;
});

/** A copy of one vendored component folder to tamper with. */
async function copyOf(release: VendoredRelease): Promise<string> {
  scratch = await mkdtemp(join(tmpdir(), 'bm-vendored-'));
  await cp(join(VENDORED_MANIFESTS_DIR, release.component, release.version), join(scratch, release.component, release.version), { recursive: true });
  return scratch;
}

describe('loadVendoredRelease', () => {
  it('loads the vendored Calico CRDs and flannel manifest, each verified against its provenance (tag commit, blob)', () => {
    const calico = loadVendoredRelease(CALICO);
    expect(calico.commit).toBe('0ca9d1b93644778cafdf1812f3dda02ac0c361e8');
    expect(calico.gitBlob).toBe('7cb3ee93300f3a36333661660ae91386f87d2be3');
    expect(calico.objects).toHaveLength(32);
    const flannel = loadVendoredRelease(FLANNEL);
    expect(flannel.commit).toBe('5cd0d52648e891d73a6dcb9bb2c67d7c365cf7aa');
    expect(flannel.objects.map((object) => object.kind)).toEqual(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'ServiceAccount', 'ConfigMap', 'DaemonSet']);
  });

  it('refuses a changed byte, an unlisted file, another tag and a version that is not vendored', async () => {
    const root = await copyOf(FLANNEL);
    const folder = join(root, 'flannel', 'v0.28.9');
    const file = join(folder, 'kube-flannel.yml');
    const original = await readFile(file, 'utf8');
    await writeFile(file, original.replace('"Type": "vxlan"', '"Type": "udp"'));
    expect(() => loadVendoredRelease(FLANNEL, root)).toThrow(/sha256 .* provenance says e875824b/);
    await writeFile(file, original);
    expect(loadVendoredRelease(FLANNEL, root).objects).toHaveLength(6);
    await writeFile(join(folder, 'extra.yaml'), 'kind: Secret\n');
    expect(() => loadVendoredRelease(FLANNEL, root)).toThrow(/does not list: extra.yaml/);
    await rm(join(folder, 'extra.yaml'));
    expect(() => loadVendoredRelease({ ...FLANNEL, repository: 'someone/flannel' }, root)).toThrow(/not someone\/flannel@v0.28.9/);
    expect(() => loadVendoredRelease({ ...FLANNEL, version: 'v0.29.0' }, root)).toThrow(/flannel v0.29.0 is not vendored/);
  });
});
