import type { AttemptContext } from '../../core/domain/attack.ts';
import { pod, type PodBuilder } from '../../manifests/pod-builder.ts';
import { SCENE } from '../../manifests/scene.ts';
import { intruderPod, roguePod } from '../../manifests/scene/attacker-pods.ts';
import { podName } from './plans.ts';

/** The scene's attacker pods, named per attempt so concurrent attempts never collide. */

type Role = 'attempt' | 'control';

/** The compromised in-mesh workload (bm-app, service account `intruder`). */
export function intruder(context: AttemptContext, attackId: string, role: Role, namespace: string = SCENE.namespaces.app): PodBuilder {
  return intruderPod({ namespace, name: podName(attackId, context.canary, role) });
}

/** The pod outside the mesh (bm-rogue, service account `rogue`). */
export function rogue(context: AttemptContext, attackId: string, role: Role, namespace: string = SCENE.namespaces.rogue): PodBuilder {
  return roguePod({ namespace, name: podName(attackId, context.canary, role) });
}

/**
 * A pod holding frontend's identity: bm-app, service account `frontend`, label `app=frontend` — what a
 * compromised frontend (SC10, AM1, AM6) or an identity claim (LM2) looks like. Note: the frontend Service
 * selects it too; nothing in the scene calls frontend, so that is harmless.
 */
export function frontendImpostor(context: AttemptContext, attackId: string, role: Role): PodBuilder {
  const { frontend } = SCENE.workloads;
  return pod(podName(attackId, context.canary, role), SCENE.namespaces.app)
    .serviceAccountName(frontend.serviceAccount)
    .label(SCENE.appLabel, frontend.name);
}
