import { Watch, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { InfrastructureError } from '../../core/domain/errors.ts';
import type { WaitCondition, WaitTarget } from '../kind/plan/plan-types.ts';
import { objectApi } from './object-api.ts';
import { conditionMet } from './wait-conditions.ts';

function describeTarget(target: WaitTarget): string {
  return `${target.kind} ${target.namespace === undefined ? '' : `${target.namespace}/`}${target.name}`;
}

/**
 * Watch one object until it meets the condition (no polling loop): the watch delivers the current state
 * first, then every change. Past `timeoutMs` it is an InfrastructureError naming the object and its last state.
 */
export async function waitFor(
  kubeConfig: KubeConfig,
  target: WaitTarget,
  condition: WaitCondition,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<void> {
  const path = await objectApi(kubeConfig).collectionPath(target.apiVersion, target.kind, target.namespace);
  let last: unknown;
  await new Promise<void>((resolve, reject) => {
    let controller: AbortController | undefined;
    let settled = false;
    const finish = (error?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      controller?.abort();
      if (error === undefined) resolve();
      else reject(error);
    };
    const timer = setTimeout(() => {
      const status = JSON.stringify((last as { status?: unknown } | undefined)?.status ?? 'not seen');
      finish(new InfrastructureError(describeTarget(target), `not ${condition} after ${timeoutMs} ms; last status ${status}`));
    }, timeoutMs);
    const onAbort = (): void => finish(new InfrastructureError(describeTarget(target), 'interrupted while waiting'));
    signal?.addEventListener('abort', onAbort, { once: true });
    const start = (): void => {
      new Watch(kubeConfig)
        .watch(
          path,
          { fieldSelector: `metadata.name=${target.name}` },
          (phase: string, object: KubernetesObject) => {
            if (phase === 'DELETED') return;
            last = object;
            if (conditionMet(target.kind, object, condition)) finish();
          },
          (error: unknown) => {
            // The API server ends watches after a while; start again until the deadline.
            if (settled) return;
            if (error !== null && error !== undefined && !(error instanceof Error && error.name === 'AbortError')) last = last ?? error;
            setTimeout(start, 500);
          },
        )
        .then((abort) => {
          controller = abort;
          if (settled) abort.abort();
        })
        .catch((error: unknown) => finish(new InfrastructureError(describeTarget(target), `watch failed: ${(error as Error).message}`)));
    };
    start();
  });
}
