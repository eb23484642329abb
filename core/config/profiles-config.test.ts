import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BadInputError } from '../domain/errors.ts';
import { stackTraits } from '../domain/profile.ts';
import { loadPins } from './pins.ts';
import { buildProfileCatalog, labProfiles, loadProfileCatalog, selectProfiles } from './profiles-config.ts';
import { KIND_PROFILE_IDS } from './testing/all-profiles.ts';

const pins = {
  versionSets: {
    pinned: { kind: 'v0.32.0', kubernetes: 'v1.36.1', calico: 'v3.33.0', cilium: '1.20.0', istio: '1.31.1', gatewayApi: 'v1.5.0' },
  },
};

function expectBadInput(run: () => unknown, ...fragments: string[]): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(BadInputError);
  for (const fragment of fragments) expect((caught as Error).message).toContain(fragment);
}

describe('profiles configuration', () => {
  it('loads the shipped profiles: the nine stacks of the design and cilium-wireguard, with derived ids and pinned versions', async () => {
    const catalog = await loadProfileCatalog();
    expect(catalog.profiles.map((profile) => profile.id)).toEqual(KIND_PROFILE_IDS);
    const ambient = catalog.profiles.find((profile) => profile.id === 'cilium+istio-ambient');
    expect(ambient?.versions).toMatchObject({ cilium: expect.any(String), istio: expect.any(String), gatewayApi: expect.any(String) });
    expect(ambient?.versions.calico).toBeUndefined();
    expect(catalog.profiles.find((profile) => profile.id === 'kindnet')?.options.policy).toBe('none');
  });

  it('rejects an unknown CNI naming the file, the field and the allowed values', () => {
    expectBadInput(
      () => buildProfileCatalog('my.yaml', { profiles: [{ cni: 'weave', mesh: 'none' }] }, pins),
      'my.yaml: profiles[0].cni',
      '"weave" is not allowed',
      'allowed: "kindnet", "calico", "cilium", "flannel"',
    );
  });

  it('flannel: needs a flannel tag in its version set; its NetworkPolicies are applied but not enforced', () => {
    expectBadInput(() => buildProfileCatalog('my.yaml', { profiles: [{ cni: 'flannel', mesh: 'none' }] }, pins), 'my.yaml: profiles[0]', 'version set "pinned" pins no flannel');
    const withFlannel = { versionSets: { pinned: { ...pins.versionSets.pinned, flannel: 'v0.28.9' } } };
    const [flannel] = buildProfileCatalog('my.yaml', { profiles: [{ cni: 'flannel', mesh: 'none' }] }, withFlannel).profiles;
    if (flannel === undefined) throw new Error('no flannel profile');
    expect(flannel.id).toBe('flannel');
    expect(flannel.versions.flannel).toBe('v0.28.9');
    expect(flannel.options.policy).toBe('layered');
    expect(stackTraits(flannel).enforcesNetworkPolicy).toBe(false);
    expectBadInput(() => buildProfileCatalog('my.yaml', { profiles: [{ cni: 'flannel', mesh: 'none', options: { encryption: 'wireguard' } }] }, withFlannel), 'profiles[0].options.encryption', 'flannel with encryption "wireguard" is not supported');
  });

  it('rejects an unknown mesh', () => {
    expectBadInput(() => buildProfileCatalog('f.yaml', { profiles: [{ cni: 'calico', mesh: 'linkerd' }] }, pins), 'profiles[0].mesh', '"istio-ambient"');
  });

  it('rejects an unknown field', () => {
    expectBadInput(() => buildProfileCatalog('f.yaml', { profiles: [{ cni: 'calico', mesh: 'none', cniVersion: '3' }] }, pins), 'profiles[0]', 'unknown field "cniVersion"');
  });

  it('rejects an unknown version set, listing the known ones', () => {
    expectBadInput(() => buildProfileCatalog('f.yaml', { profiles: [{ cni: 'cilium', mesh: 'none', versionSet: 'nightly' }] }, pins), 'profiles[0].versionSet', 'unknown version set "nightly"', 'allowed: pinned');
  });

  it('rejects a bad option value and duplicate profiles', () => {
    expectBadInput(() => buildProfileCatalog('f.yaml', { profiles: [{ cni: 'cilium', mesh: 'none', options: { workers: 9 } }] }, pins), 'profiles[0].options.workers');
    expectBadInput(() => buildProfileCatalog('f.yaml', { profiles: [{ cni: 'cilium', mesh: 'none' }, { cni: 'cilium', mesh: 'none' }] }, pins), 'duplicate profile "cilium"');
  });

  it('WireGuard: `<cni>-wireguard` ids on Cilium and Calico; refused on kindnet', () => {
    const catalog = buildProfileCatalog(
      'f.yaml',
      {
        profiles: [
          { cni: 'cilium', mesh: 'none', options: { encryption: 'wireguard' } },
          { cni: 'cilium', mesh: 'istio-ambient', options: { encryption: 'wireguard' } },
          { cni: 'calico', mesh: 'none', options: { encryption: 'wireguard' } },
          { cni: 'calico', mesh: 'istio-sidecar', options: { encryption: 'wireguard' } },
        ],
      },
      pins,
    );
    expect(catalog.profiles.map((profile) => profile.id)).toEqual(['cilium-wireguard', 'cilium-wireguard+istio-ambient', 'calico-wireguard', 'calico-wireguard+istio-sidecar']);
    expect(catalog.profiles.map((profile) => stackTraits(profile).encryption)).toEqual(['wireguard', 'wireguard', 'wireguard', 'wireguard']);
    expectBadInput(() => buildProfileCatalog('f.yaml', { profiles: [{ cni: 'kindnet', mesh: 'none', options: { encryption: 'wireguard' } }] }, pins), 'profiles[0].options.encryption', 'kindnet with encryption "wireguard" is not supported', 'wireguard on cilium or calico');
    expectBadInput(() => buildProfileCatalog('f.yaml', { profiles: [{ cni: 'cilium', mesh: 'none', options: { encryption: 'ipsec' } }] }, pins), 'profiles[0].options.encryption');
    expect(buildProfileCatalog('f.yaml', { profiles: [{ cni: 'cilium', mesh: 'none' }] }, pins).profiles[0]?.options.encryption).toBe('none');
  });

  it('appends the version set to the id of non-pinned profiles so pinned and next can run side by side', () => {
    const withNext = { versionSets: { ...pins.versionSets, next: { ...pins.versionSets.pinned, istio: '1.32.0' } } };
    const catalog = buildProfileCatalog('f.yaml', { profiles: [{ cni: 'cilium', mesh: 'istio-ambient', versionSet: 'next' }] }, withNext);
    expect(catalog.profiles[0]).toMatchObject({ id: 'cilium+istio-ambient@next', versions: { istio: '1.32.0' } });
  });

  it('rejects a malformed pins file and an invalid version in it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bm-pins-'));
    const broken = join(dir, 'broken.yaml');
    await writeFile(broken, 'versionSets: [unclosed');
    await expect(loadPins(broken)).rejects.toThrow(/not valid YAML/);
    const badVersion = join(dir, 'bad.yaml');
    await writeFile(badVersion, 'versionSets:\n  pinned: { kind: latest, kubernetes: v1.36.1, calico: v3.33.0, cilium: 1.20.0, istio: 1.31.1, gatewayApi: v1.5.0 }\n');
    await expect(loadPins(badVersion)).rejects.toThrow(/versionSets\.pinned\.kind/);
    await expect(loadPins(join(dir, 'missing.yaml'))).rejects.toBeInstanceOf(BadInputError);
  });

  it('selects profiles by id and names the known ones when an id is unknown', () => {
    const lab = labProfiles();
    expect(selectProfiles(lab, ['lab:sidecar'], '--profile').map((profile) => profile.id)).toEqual(['lab:sidecar']);
    expectBadInput(() => selectProfiles(lab, ['lab:nope'], '--profile'), '--profile', 'unknown profile "lab:nope"', 'lab:netpol+sidecar');
  });

  it('gives lab stacks the layers their names promise', () => {
    const traits = Object.fromEntries(labProfiles().map((profile) => [profile.id, stackTraits(profile)]));
    expect(traits['lab:none']).toMatchObject({ enforcesNetworkPolicy: false, meshPolicies: false, isLab: true });
    expect(traits['lab:netpol']).toMatchObject({ enforcesNetworkPolicy: true, mesh: 'none' });
    expect(traits['lab:sidecar']).toMatchObject({ enforcesNetworkPolicy: false, mesh: 'istio-sidecar', meshPolicies: true });
    expect(traits['lab:netpol+sidecar']).toMatchObject({ enforcesNetworkPolicy: true, mesh: 'istio-sidecar', meshPolicies: true });
  });
});
