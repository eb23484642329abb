import type { DestinationLiveness } from '../../core/domain/liveness.ts';
import type { TrackedProcess } from './process-registry.ts';

/** What serves one destination pod in the lab: its containers' processes and, with a sidecar, its proxy. */
export interface LabDestinationPod {
  readonly key: string;
  readonly deleted: boolean;
  readonly sandboxAlive: boolean;
  readonly processes: ReadonlyMap<string, TrackedProcess>;
  /** The sidecar proxy, when the pod has one. */
  readonly proxy?: ProxyHealth;
}

export interface ProxyHealth {
  readonly running: boolean;
  /** When a proxy process died without being stopped or replaced by a reload, and how. */
  readonly death?: { readonly at: Date; readonly how: string };
  /** What the proxy is, in messages: `sidecar proxy` unless said (the ambient waypoint says `waypoint proxy`). */
  readonly role?: string;
}

/**
 * A lab destination was alive for the whole window when every process that serves it runs now and none died
 * since before the window: lab processes are never restarted, so running now means running throughout — except a
 * proxy, which a reload may start again after a death, hence its recorded death. `since` is the window's start.
 */
export function labPodsLiveness(pods: readonly LabDestinationPod[], since: Date): DestinationLiveness {
  if (pods.length === 0) return { status: 'unknown', reason: 'no lab pod serves this destination' };
  const checked: string[] = [];
  for (const pod of pods) {
    if (pod.deleted) return { status: 'dead', died: `pod ${pod.key} was deleted` };
    if (!pod.sandboxAlive) return { status: 'dead', died: `pod ${pod.key}: its sandbox (pause) process exited` };
    for (const [container, process] of pod.processes) {
      if (process.hasExited()) return { status: 'dead', died: `pod ${pod.key}: container ${container} (pid ${process.pid}) exited` };
      checked.push(`${pod.key} ${container} pid ${process.pid}`);
    }
    if (pod.proxy !== undefined) {
      const { running, death } = pod.proxy;
      const role = pod.proxy.role ?? 'sidecar proxy';
      if (!running) return { status: 'dead', died: `pod ${pod.key}: its ${role} is not running${death === undefined ? '' : ` (${death.how} at ${death.at.toISOString()})`}` };
      if (death !== undefined && death.at.getTime() >= since.getTime()) {
        return { status: 'dead', died: `pod ${pod.key}: its ${role} died during the attempt (${death.how} at ${death.at.toISOString()}) and was started again` };
      }
      checked.push(`${pod.key} ${pod.proxy.role === undefined ? 'istio-proxy' : role}`);
    }
  }
  return { status: 'alive', checked };
}

/** The lab's internet side (sink and metadata endpoint) is one process. */
export function sinkLiveness(sink: TrackedProcess | undefined): DestinationLiveness {
  if (sink === undefined) return { status: 'dead', died: 'the lab sink was never started' };
  if (sink.hasExited()) return { status: 'dead', died: `the lab sink (pid ${sink.pid}) exited` };
  return { status: 'alive', checked: [`sink pid ${sink.pid}`] };
}
