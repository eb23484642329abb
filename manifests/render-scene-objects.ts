import type { KubeObject } from '../core/domain/cluster.ts';
import type { LayeredScene } from '../core/depth/layered-scene.ts';
import { POLICY_GROUPS } from '../core/domain/depth.ts';
import { stackTraits, type Profile } from '../core/domain/profile.ts';
import { buildPolicySet, buildScene, sceneOptions } from './index.ts';

/**
 * Everything a stack gets, in apply order: the scene (namespaces, service accounts, workloads, services), then
 * each layer's policies — admission, CNI, mesh — so a layer's policy never lands before what it selects.
 */
export function renderSceneObjects(profile: Profile): readonly (readonly KubeObject[])[] {
  const stack = stackTraits(profile);
  const policies = buildPolicySet(stack);
  return [buildScene(stack, sceneOptions(profile)), policies.admission, policies.cni, policies.mesh].filter((objects) => objects.length > 0);
}

/** The same objects with each policy group named (depth by ablation keeps one group per pass). */
export function renderLayeredScene(profile: Profile): LayeredScene {
  const stack = stackTraits(profile);
  const policies = buildPolicySet(stack);
  return {
    scene: buildScene(stack, sceneOptions(profile)),
    groups: POLICY_GROUPS.map((group) => ({ group, objects: policies[group] })).filter(({ objects }) => objects.length > 0),
  };
}
