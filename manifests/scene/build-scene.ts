import type { KubeObject } from '../../core/domain/cluster.ts';
import type { StackTraits } from '../../core/domain/profile.ts';
import { asKubeObject } from '../kube-object.ts';
import { buildNamespaces } from './namespaces.ts';
import { buildPodCreatorRbac } from './pod-creator-rbac.ts';
import { DEFAULT_SCENE_OPTIONS, type SceneOptions } from './scene-options.ts';
import { buildServiceAccounts } from './service-accounts.ts';
import { buildServices } from './services.ts';
import { buildWorkloadPods } from './workloads.ts';

/**
 * The scene every stack gets (manifests/scene.ts), in apply order: namespaces, service accounts, the pod creator's
 * RBAC, workloads, services.
 * Policies are separate (`buildPolicySet`) so the scene self-test can watch them take effect.
 */
export function buildScene(stack: StackTraits, options: SceneOptions = DEFAULT_SCENE_OPTIONS): readonly KubeObject[] {
  return [
    ...buildNamespaces(stack, options),
    ...buildServiceAccounts(),
    ...buildPodCreatorRbac(),
    ...buildWorkloadPods().map(asKubeObject),
    ...buildServices(stack),
  ];
}
