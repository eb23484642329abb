import { Watch, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { InfrastructureError } from '../../core/domain/errors.ts';
import { TIMEOUTS } from '../../core/timeouts.ts';

/**
 * client-node 2.0.1's `Watch` aborts a stream that has been silent this long (`this.requestTimeoutMs = 30000` in
 * dist/watch.js) and reports it as a `TimeoutError`. A pod pulling a large image is easily that quiet.
 */
export const CLIENT_NODE_WATCH_IDLE_MS = 30_000;

/** HTTP statuses a retry cannot fix: the request itself is wrong or not allowed. */
const FATAL_STATUSES = new Set([400, 401, 403, 404]);

/** What one event means to the caller: keep watching, done with this value, or failed. */
export type WatchVerdict<T> = { readonly state: 'waiting' } | { readonly state: 'done'; readonly value: T } | { readonly state: 'failed'; readonly error: Error };

export interface RestartingWatchOptions<T> {
  readonly kubeConfig: KubeConfig;
  /** Collection path, e.g. `/api/v1/namespaces/bm-app/pods`. */
  readonly path: string;
  readonly fieldSelector: string;
  /** Names the object in errors, e.g. `pod bm-app/x`. */
  readonly what: string;
  /** What is awaited, for the deadline message: `not <goal> after …`, e.g. `running`, `Established`. */
  readonly goal: string;
  readonly timeoutMs: number;
  /** Ends the wait early (interrupt): an InfrastructureError saying so. */
  readonly signal?: AbortSignal;
  /** Describes the last state seen, for the deadline message. */
  readonly describeLast: (last: KubernetesObject | undefined) => string;
  readonly onObject: (object: KubernetesObject) => WatchVerdict<T>;
  /** The client's inactivity limit; only tests shorten it. */
  readonly idleLimitMs?: number;
}

function statusCode(error: unknown): number | undefined {
  const code = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function newWatch(kubeConfig: KubeConfig, idleLimitMs: number | undefined): Watch {
  const watch = new Watch(kubeConfig);
  // The limit is a private field upstream with no setter; only tests change it.
  if (idleLimitMs !== undefined) Reflect.set(watch, 'requestTimeoutMs', idleLimitMs);
  return watch;
}

/**
 * Watch one object until `onObject` says done or failed, or the deadline passes. A stream that ends — the API
 * server closing it, client-node's idle abort, a dropped connection — is started again from the last
 * resourceVersion seen, so no change is missed; a 410 Gone (that version is too old) starts again from now.
 * Only a request the server refuses (400/401/403/404) ends the wait early.
 */
export function watchUntil<T>(options: RestartingWatchOptions<T>): Promise<T> {
  const { kubeConfig, path, fieldSelector, what, timeoutMs } = options;
  return new Promise<T>((resolve, reject) => {
    let controller: AbortController | undefined;
    let restartTimer: NodeJS.Timeout | undefined;
    let last: KubernetesObject | undefined;
    let resourceVersion: string | undefined;
    let restarts = 0;
    /** Restarts since the last event: a server that keeps failing is retried less and less often. */
    let fruitless = 0;
    let lastEnd = 'none';
    let settled = false;
    const settle = (outcome: { value: T } | { error: Error }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      clearTimeout(restartTimer);
      options.signal?.removeEventListener('abort', onAbort);
      controller?.abort();
      if ('value' in outcome) resolve(outcome.value);
      else reject(outcome.error);
    };
    const deadline = setTimeout(() => {
      const detail = `${options.describeLast(last)}; watch restarted ${restarts} times, last end: ${lastEnd}`;
      settle({ error: new InfrastructureError(what, `not ${options.goal} after ${timeoutMs} ms (${detail})`) });
    }, timeoutMs);
    const onAbort = (): void => settle({ error: new InfrastructureError(what, 'interrupted while waiting') });
    if (options.signal?.aborted === true) onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const onEvent = (phase: string, object: KubernetesObject & { code?: number }): void => {
      if (settled) return;
      if (phase === 'ERROR') {
        // An expired resourceVersion arrives as an ERROR event carrying a 410 Status; the stream ends next.
        if (object.code === 410) resourceVersion = undefined;
        return;
      }
      fruitless = 0;
      if (object.metadata?.resourceVersion !== undefined) resourceVersion = object.metadata.resourceVersion;
      if (phase === 'BOOKMARK' || phase === 'DELETED') return;
      last = object;
      const verdict = options.onObject(object);
      if (verdict.state === 'done') settle({ value: verdict.value });
      else if (verdict.state === 'failed') settle({ error: verdict.error });
    };
    const onEnd = (error: unknown): void => {
      if (settled) return;
      const code = statusCode(error);
      if (code !== undefined && FATAL_STATUSES.has(code)) {
        settle({ error: new InfrastructureError(what, `watch refused by the API server (HTTP ${code}): ${errorText(error)}`, { cause: error }) });
        return;
      }
      if (code === 410) resourceVersion = undefined;
      lastEnd = error === null || error === undefined ? 'stream ended' : errorText(error);
      restarts += 1;
      fruitless += 1;
      restartTimer = setTimeout(start, Math.min(TIMEOUTS.watchRestartMs * 2 ** (fruitless - 1), TIMEOUTS.watchRestartMaxMs));
    };
    const start = (): void => {
      if (settled) return;
      const query: Record<string, string | boolean> = { fieldSelector, allowWatchBookmarks: true };
      if (resourceVersion !== undefined) query['resourceVersion'] = resourceVersion;
      newWatch(kubeConfig, options.idleLimitMs)
        .watch(path, query, onEvent, onEnd)
        .then((abort) => {
          controller = abort;
          if (settled) abort.abort();
        })
        .catch((error: unknown) => settle({ error: new InfrastructureError(what, `watch could not start: ${errorText(error)}`, { cause: error }) }));
    };
    start();
  });
}
