import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { WaitCondition, WaitTarget } from '../kind/plan/plan-types.ts';
import { objectApi } from './object-api.ts';
import { watchUntil } from './restarting-watch.ts';
import { conditionMet } from './wait-conditions.ts';

function describeTarget(target: WaitTarget): string {
  return `${target.kind} ${target.namespace === undefined ? '' : `${target.namespace}/`}${target.name}`;
}

/**
 * Watch one object until it meets the condition (no polling loop): the watch delivers the current state
 * first, then every change, and is started again from the last resourceVersion whenever the stream ends. Past
 * `timeoutMs` it is an InfrastructureError naming the object and its last state.
 */
export async function waitFor(
  kubeConfig: KubeConfig,
  target: WaitTarget,
  condition: WaitCondition,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<void> {
  const path = await objectApi(kubeConfig).collectionPath(target.apiVersion, target.kind, target.namespace);
  await watchUntil<true>({
    kubeConfig,
    path,
    fieldSelector: `metadata.name=${target.name}`,
    what: describeTarget(target),
    goal: condition,
    timeoutMs,
    ...(signal === undefined ? {} : { signal }),
    describeLast: (last: KubernetesObject | undefined) => `last status ${JSON.stringify((last as { status?: unknown } | undefined)?.status ?? 'not seen')}`,
    onObject: (object) => (conditionMet(target.kind, object, condition) ? { state: 'done', value: true } : { state: 'waiting' }),
  });
}
