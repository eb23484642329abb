import type { WaitCondition } from '../kind/plan/plan-types.ts';

interface Condition {
  readonly type?: string;
  readonly status?: string;
}

interface Watched {
  readonly metadata?: { readonly generation?: number };
  readonly spec?: { readonly replicas?: number };
  readonly status?: {
    readonly phase?: string;
    readonly conditions?: readonly Condition[];
    readonly observedGeneration?: number;
    readonly desiredNumberScheduled?: number;
    readonly updatedNumberScheduled?: number;
    readonly numberAvailable?: number;
    readonly replicas?: number;
    readonly updatedReplicas?: number;
    readonly availableReplicas?: number;
  };
}

function hasCondition(object: Watched, type: string): boolean {
  return (object.status?.conditions ?? []).some((condition) => condition.type === type && condition.status === 'True');
}

/**
 * Whether a watched object has reached the condition a wait step names. `rollout` follows kubectl's rule:
 * the controller saw the latest generation and every replica is updated and available.
 */
export function conditionMet(kind: string, object: unknown, condition: WaitCondition): boolean {
  if (object === null || typeof object !== 'object') return false;
  const watched = object as Watched;
  if (condition === 'Succeeded') return watched.status?.phase === 'Succeeded';
  if (condition !== 'rollout') return hasCondition(watched, condition);
  const status = watched.status;
  if (status === undefined) return false;
  if (watched.metadata?.generation !== undefined && (status.observedGeneration ?? 0) < watched.metadata.generation) return false;
  if (kind === 'DaemonSet') {
    const desired = status.desiredNumberScheduled ?? 0;
    return desired > 0 && status.updatedNumberScheduled === desired && status.numberAvailable === desired;
  }
  const wanted = watched.spec?.replicas ?? 1;
  return status.updatedReplicas === wanted && status.availableReplicas === wanted && (status.replicas ?? wanted) === wanted;
}
