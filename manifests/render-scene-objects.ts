import type { KubeObject } from '../core/domain/cluster.ts';
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
