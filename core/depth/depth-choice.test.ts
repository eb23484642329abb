import { describe, expect, it } from 'vitest';
import { runCommand } from '../cli/commands/run-command.ts';
import { BadInputError } from '../domain/errors.ts';
import { loadKindProfiles } from '../config/testing/all-profiles.ts';
import type { KubeObject } from '../domain/cluster.ts';
import { withPolicyStrength } from '../domain/profile.ts';
import { renderLayeredScene } from '../../manifests/render-scene-objects.ts';
import { checkInPlaceDepth, depthAblation, depthEnabled } from './depth-choice.ts';
import type { LayeredScene } from './layered-scene.ts';

describe('depthEnabled', () => {
  it('is on by default for the lab and off for kind and kubeconfig', () => {
    expect(depthEnabled('lab', undefined)).toBe(true);
    expect(depthEnabled('kind', undefined)).toBe(false);
    expect(depthEnabled('kubeconfig', undefined)).toBe(false);
  });

  it('follows --depth / --no-depth', () => {
    expect(depthEnabled('lab', false)).toBe(false);
    expect(depthEnabled('lab', true)).toBe(true);
    expect(depthEnabled('kind', false)).toBe(false);
  });

  it('takes --depth on kube providers, ablating in place there and on fresh clusters on the lab', () => {
    expect(depthEnabled('kind', true)).toBe(true);
    expect(depthEnabled('kubeconfig', true)).toBe(true);
    expect(depthAblation('kind')).toBe('in-place');
    expect(depthAblation('kubeconfig')).toBe('in-place');
    expect(depthAblation('lab')).toBe('fresh-cluster');
  });

  it('accepts every kind stack the manifests render, baseline and hardened, for in-place ablation', async () => {
    const profiles = await loadKindProfiles();
    expect(profiles.some((profile) => renderLayeredScene(profile).groups.length > 1)).toBe(true);
    expect(() => checkInPlaceDepth('kind', profiles, renderLayeredScene)).not.toThrow();
    const hardened = profiles.map((profile) => withPolicyStrength(profile, 'hardened'));
    expect(hardened.some((profile) => renderLayeredScene(profile).groups.length === 3)).toBe(true);
    expect(() => checkInPlaceDepth('kubeconfig', hardened, renderLayeredScene)).not.toThrow();
  });

  it('refuses (exit 2) a kube stack whose policy group holds a kind whose deletion is not modelled, naming it', async () => {
    const [profile] = (await loadKindProfiles()).filter((candidate) => renderLayeredScene(candidate).groups.length > 1);
    if (profile === undefined) throw new Error('no layered kind profile');
    const withServiceEntry = (): LayeredScene => {
      const layered = renderLayeredScene(profile);
      const entry: KubeObject = { apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'bm-extra', namespace: 'bm-app' } };
      return { ...layered, groups: layered.groups.map((group) => (group.group === 'mesh' ? { ...group, objects: [...group.objects, entry] } : group)) };
    };
    expect(() => checkInPlaceDepth('kind', [profile], withServiceEntry)).toThrow(BadInputError);
    expect(() => checkInPlaceDepth('kind', [profile], withServiceEntry)).toThrow(/ServiceEntry bm-app\/bm-extra: deleting this kind is not modelled/);
    // The lab makes a cluster per pass and deletes nothing: no such check there.
    expect(() => checkInPlaceDepth('lab', [profile], withServiceEntry)).not.toThrow();
  });

  it('run parses --depth, --no-depth and neither (undefined: the provider decides)', () => {
    const parse = (args: string[]): boolean | undefined => {
      const command = runCommand().exitOverride().action(() => undefined);
      command.parse(['--provider', 'lab', ...args], { from: 'user' });
      return command.opts<{ depth?: boolean }>().depth;
    };
    expect(parse([])).toBeUndefined();
    expect(parse(['--depth'])).toBe(true);
    expect(parse(['--no-depth'])).toBe(false);
  });
});
