import { createHash, randomBytes } from 'node:crypto';
import type { V1Pod } from '@kubernetes/client-node';
import type { Cluster, PodCreation } from '../domain/cluster.ts';
import type { ControlPlan } from '../domain/control.ts';
import { SCENE } from '../../manifests/scene.ts';
import { runPlanInPod, type PlanRun, type ScriptSource } from './script-runner.ts';

/**
 * Shared positive-control clients: one running pod per distinct control pod spec per cluster, instead of a pod per
 * control. A same-destination control's pod differs between attacks only by its name (a node client, frontend's
 * identity), so a pod with the same spec walks the same path: same namespace, service account, labels, node, network
 * and privileges, to the attempt's own destination, port and protocol. Every control still runs its own script with
 * its own canary; only the pod is reused. A control that fails on the shared client is retried on a pod of its own
 * (the caller's retries), so a broken shared pod can make no cell inconclusive that a fresh one would pass, and never
 * `blocked`. Pods live until the cluster's teardown.
 *
 * Not shared: same-source controls (the attempt's own pod minus the technique: a spec per attack) and init-container
 * plans (their script runs once, at the pod's start).
 */
export class ControlClients {
  private readonly cluster: Cluster;
  private readonly podReadyMs: number;
  private readonly pods = new Map<string, Promise<PodCreation>>();
  /** Tells this set's pods from another's on the same cluster (a kube provider's depth pass runs beside the full pass). */
  private readonly tag = randomBytes(2).toString('hex');

  constructor(cluster: Cluster, podReadyMs: number) {
    this.cluster = cluster;
    this.podReadyMs = podReadyMs;
  }

  static shareable(plan: ControlPlan): boolean {
    return plan.kind === 'same-destination' && plan.placement !== 'init-container';
  }

  /**
   * Runs the control's script in the shared client of its pod spec. `undefined` when the plan is not shareable or no
   * shared client could be had (refused or failed to start): the caller then runs the control in a pod of its own,
   * exactly as without sharing, so admission's refusal is reported with the control's own pod.
   */
  async run(plan: ControlPlan, scripts?: ScriptSource): Promise<PlanRun | undefined> {
    if (!ControlClients.shareable(plan)) return undefined;
    const spec = sharedSpec(plan.pod, this.tag);
    const key = JSON.stringify([spec, plan.requester ?? null]);
    let creation = this.pods.get(key);
    if (creation === undefined) {
      creation = this.cluster.createPod(spec, { timeoutMs: this.podReadyMs, ...(plan.requester === undefined ? {} : { requester: plan.requester }) });
      this.pods.set(key, creation);
      // A client that failed to start is forgotten, so a later control tries again rather than inheriting the failure.
      const forget = (): void => void this.pods.delete(key);
      creation.then((created) => (created.status === 'rejected' ? forget() : undefined), forget);
    }
    let created: PodCreation;
    try {
      created = await creation;
    } catch {
      return undefined;
    }
    if (created.status === 'rejected') return undefined;
    return runPlanInPod(created.pod, plan, scripts);
  }
}

/**
 * The control pod spec under a name of its own derived from the rest of the spec, so every control with that spec
 * gets the same pod; an `app` label that only repeated the pod's name (the builders' default) follows the name.
 */
export function sharedSpec(pod: V1Pod, tag: string): V1Pod {
  const name = pod.metadata?.name ?? '';
  const labels = { ...(pod.metadata?.labels ?? {}) };
  const namedByItself = labels[SCENE.appLabel] === name;
  if (namedByItself) delete labels[SCENE.appLabel];
  const { name: _name, ...metadata } = { ...pod.metadata, labels };
  const sharedName = `bm-ctl-${createHash('sha256').update(JSON.stringify({ metadata, spec: pod.spec })).digest('hex').slice(0, 12)}-${tag}`;
  return {
    ...pod,
    metadata: { ...metadata, name: sharedName, labels: namedByItself ? { ...labels, [SCENE.appLabel]: sharedName } : labels },
  };
}
