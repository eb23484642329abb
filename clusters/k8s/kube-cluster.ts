import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import type {
  Cluster,
  EvidenceQuery,
  ExecOptions,
  ExecResult,
  CreatePodOptions,
  KubeObject,
  PodCreation,
  PodRequester,
  PodHandle,
  SinkRecord,
} from '../../core/domain/cluster.ts';
import { InfrastructureError } from '../../core/domain/errors.ts';
import type { EvidenceItem, FlowDescriptor, TimeWindow } from '../../core/domain/evidence.ts';
import type { DestinationLiveness } from '../../core/domain/liveness.ts';
import type { Profile, ProviderName } from '../../core/domain/profile.ts';
import type { SceneAddresses } from '../../core/domain/scene-addresses.ts';
import { parseAdmissionMessages } from '../../core/evidence/admission-message.ts';
import { parseEnvoyAccessLog } from '../../core/evidence/envoy-access-log.ts';
import { parseHubbleFlows } from '../../core/evidence/hubble-flows.ts';
import { parseZtunnelLog } from '../../core/evidence/ztunnel-log.ts';
import { TIMEOUTS } from '../../core/timeouts.ts';
import { SCENE } from '../../manifests/scene.ts';
import { admissionRejection } from './admission-rejection.ts';
import { kubeDestinationLiveness } from './destination-liveness.ts';
import { impersonating } from './impersonation.ts';
import { splitCrds } from './apply-order.ts';
import { FIELD_MANAGER, objectApi, type ObjectApi } from './object-api.ts';
import { runsContainer } from './pod-containers.ts';
import { execInPod } from './pod-exec.ts';
import { podProgress } from './pod-outcome.ts';
import { watchUntil } from './restarting-watch.ts';
import { waitFor } from './wait-for.ts';
import { NODE_NETWORK_PLACEMENT } from '../../manifests/node-network-placement.ts';

/** A canary no attempt carries: asking the sink for it only proves the sink answers. */
const LIVENESS_PROBE_CANARY = 'bm0000000000000000';

export const MANAGED_SELECTOR = `${SCENE.managedByLabel.key}=${SCENE.managedByLabel.value}`;

export interface KubeClusterOptions {
  readonly name: string;
  readonly provider: ProviderName;
  readonly profile: Profile;
  readonly kubeConfig: KubeConfig;
  readonly addresses: () => Promise<SceneAddresses>;
  readonly sinkReceived: (canary: string) => Promise<readonly SinkRecord[]>;
  /** Provider-specific teardown after the in-cluster cleanup (delete the kind cluster, stop side containers). */
  readonly afterTeardown?: () => Promise<void>;
  /** client-node's watch inactivity limit (CLIENT_NODE_WATCH_IDLE_MS); only tests shorten it. */
  readonly watchIdleLimitMs?: number;
}

function where(object: KubeObject): string {
  return `${object.kind} ${object.metadata.namespace ?? ''}/${object.metadata.name}`;
}

function ledgerKey(object: KubeObject): string {
  return `${object.apiVersion} ${where(object)}`;
}

/**
 * The uid of an applied object when nobody but this harness manages it: every `managedFields` entry outside the
 * status subresource is breachmatrix's (https://kubernetes.io/docs/reference/using-api/server-side-apply/#field-management).
 * An object someone else created or also edits gets none, so removeApplied never deletes it.
 */
function runOwnedUid(stored: KubeObject): string | undefined {
  const metadata = stored.metadata as { uid?: unknown; managedFields?: unknown };
  const entries = Array.isArray(metadata.managedFields) ? (metadata.managedFields as { manager?: unknown; subresource?: unknown }[]) : [];
  const ours = entries.length > 0 && entries.every((entry) => entry.subresource === 'status' || entry.manager === FIELD_MANAGER);
  return ours && typeof metadata.uid === 'string' && metadata.uid !== '' ? metadata.uid : undefined;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A Cluster over the Kubernetes API (kind and kubeconfig providers). */
export class KubeCluster implements Cluster {
  readonly name: string;
  readonly provider: ProviderName;
  readonly profile: Profile;
  private readonly options: KubeClusterOptions;
  private readonly core: CoreV1Api;
  /** Pod creation as the scene's pod creator (impersonated); watch, exec and delete stay the harness's. */
  private podCreatorCore: CoreV1Api | undefined;
  private readonly objects: ObjectApi;
  /** Admission messages seen by createPod, verbatim: admission's own record for evidence. */
  private readonly admissionMessages: string[] = [];
  /** The uid each object this cluster applied was stored under, by `apiVersion kind namespace/name`: what removeApplied may delete. */
  private readonly appliedUids = new Map<string, string>();
  private tornDown = false;

  constructor(options: KubeClusterOptions) {
    this.options = options;
    this.name = options.name;
    this.provider = options.provider;
    this.profile = options.profile;
    this.core = options.kubeConfig.makeApiClient(CoreV1Api);
    this.objects = objectApi(options.kubeConfig);
  }

  /** Server-side apply, CRDs first and awaited until Established, then everything else in dependency order; Gateways awaited until Programmed. */
  async apply(objects: readonly KubeObject[]): Promise<void> {
    const { crds, rest } = splitCrds(objects);
    for (const crd of crds) await this.applyOne(crd, false);
    for (const crd of crds) {
      await waitFor(
        this.options.kubeConfig,
        { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: crd.metadata.name },
        'Established',
        TIMEOUTS.componentReadyMs,
      );
    }
    for (const object of rest) await this.applyOne(object, false);
    // A waypoint that is not Programmed would turn every L7 cell into an error that looks like a block.
    for (const gateway of rest.filter((object) => object.kind === 'Gateway')) {
      await waitFor(
        this.options.kubeConfig,
        { apiVersion: gateway.apiVersion, kind: 'Gateway', name: gateway.metadata.name, ...(gateway.metadata.namespace ? { namespace: gateway.metadata.namespace } : {}) },
        'Programmed',
        TIMEOUTS.componentReadyMs,
      );
    }
  }

  /** GET each object as the API server stores it, in parallel (the harness's own objects, a few dozen). */
  async readBack(objects: readonly KubeObject[]): Promise<readonly (KubeObject | undefined)[]> {
    return Promise.all(
      objects.map(async (object) => {
        try {
          return await this.objects.readRaw(object);
        } catch (error) {
          const where = `${object.kind} ${object.metadata.namespace ?? ''}/${object.metadata.name}`;
          throw new InfrastructureError('read-back', `${where}: ${errorText(error)}`, { cause: error });
        }
      }),
    );
  }

  async applyOne(object: KubeObject, force: boolean): Promise<void> {
    try {
      const uid = runOwnedUid(await this.objects.serverSideApply(object, force));
      if (uid === undefined) this.appliedUids.delete(ledgerKey(object));
      else this.appliedUids.set(ledgerKey(object), uid);
    } catch (error) {
      const where = `${object.kind} ${object.metadata.namespace ?? ''}/${object.metadata.name}`;
      throw new InfrastructureError('apply', `${where}: ${errorText(error)}`, { cause: error });
    }
  }

  private coreFor(requester: PodRequester): CoreV1Api {
    if (requester === 'harness') return this.core;
    this.podCreatorCore ??= impersonating(this.options.kubeConfig, SCENE.requesters.podCreator.username).makeApiClient(CoreV1Api);
    return this.podCreatorCore;
  }

  /**
   * Deletes exactly the instances this cluster applied (uid precondition, managed-by label), after checking every one
   * first so nothing is half-deleted on a refusal; then waits until each GET answers 404.
   */
  async removeApplied(objects: readonly KubeObject[]): Promise<void> {
    const live = await this.readBack(objects);
    const refused: string[] = [];
    const targets = objects.map((object, index) => {
      const uid = this.appliedUids.get(ledgerKey(object));
      const found = live[index];
      const foundUid = (found?.metadata as { uid?: unknown } | undefined)?.uid;
      if (uid === undefined) refused.push(`${where(object)}: not created and solely managed by this run (no uid recorded at apply)`);
      else if (found === undefined) refused.push(`${where(object)}: already absent`);
      else if (foundUid !== uid) refused.push(`${where(object)}: uid ${String(foundUid)} is not the ${uid} this run applied`);
      else if (found.metadata.labels?.[SCENE.managedByLabel.key] !== SCENE.managedByLabel.value) refused.push(`${where(object)}: no ${MANAGED_SELECTOR} label`);
      return { object, uid: uid ?? '' };
    });
    if (refused.length > 0) throw new InfrastructureError('ablation', `refusing to delete (nothing deleted): ${refused.join('; ')}`);
    for (const { object, uid } of targets) {
      try {
        await this.objects.deleteExact(object, uid);
      } catch (error) {
        throw new InfrastructureError('ablation', `${where(object)}: delete failed: ${errorText(error)}`, { cause: error });
      }
      this.appliedUids.delete(ledgerKey(object));
    }
    const deadline = performance.now() + TIMEOUTS.ablationDeleteMs;
    for (;;) {
      const still = (await this.readBack(objects)).flatMap((found, index) => (found === undefined ? [] : [where(objects[index] as KubeObject)]));
      if (still.length === 0) return;
      // Finalizers hold an object until their controller lets go: it is not gone until the API server says 404.
      if (performance.now() >= deadline) throw new InfrastructureError('ablation', `still present ${TIMEOUTS.ablationDeleteMs} ms after delete: ${still.join(', ')}`);
      await sleep(TIMEOUTS.ablationPollMs);
    }
  }

  async createPod(pod: V1Pod, options: CreatePodOptions): Promise<PodCreation> {
    const namespace = pod.metadata?.namespace ?? 'default';
    const name = pod.metadata?.name ?? '';
    // A pod that asks to sit on the node network outside every node (EV2's sniffer) cannot be placed by a Kubernetes
    // API: created anyway it would run on a node and measure something else. Refused, before any request.
    if (pod.metadata?.annotations?.[NODE_NETWORK_PLACEMENT.key] !== undefined) {
      throw new InfrastructureError(
        `pod ${namespace}/${name}`,
        `asks for placement ${NODE_NETWORK_PLACEMENT.key}=${pod.metadata.annotations[NODE_NETWORK_PLACEMENT.key]}, outside every node; this provider places pods only on nodes, so it refuses rather than capture from one`,
      );
    }
    try {
      await this.coreFor(options.requester ?? 'harness').createNamespacedPod({ namespace, body: pod });
    } catch (error) {
      const message = admissionRejection(error);
      if (message !== undefined) {
        this.admissionMessages.push(message);
        return { status: 'rejected', layer: 'admission', message };
      }
      throw new InfrastructureError(`pod ${namespace}/${name}`, `create failed: ${errorText(error)}`, { cause: error });
    }
    const running = await this.watchPod(namespace, name, options.timeoutMs);
    return { status: 'running', pod: this.handle(running) };
  }

  private watchPod(namespace: string, name: string, timeoutMs: number): Promise<V1Pod> {
    const what = `pod ${namespace}/${name}`;
    return watchUntil<V1Pod>({
      kubeConfig: this.options.kubeConfig,
      path: `/api/v1/namespaces/${namespace}/pods`,
      fieldSelector: `metadata.name=${name}`,
      what,
      goal: 'running',
      timeoutMs,
      ...(this.options.watchIdleLimitMs === undefined ? {} : { idleLimitMs: this.options.watchIdleLimitMs }),
      describeLast: (last) => `phase ${(last as V1Pod | undefined)?.status?.phase ?? 'unknown'}`,
      onObject: (object) => {
        const pod = object as V1Pod;
        const progress = podProgress(pod);
        if (progress.state === 'running') return { state: 'done', value: pod };
        if (progress.state === 'failed') return { state: 'failed', error: new InfrastructureError(what, progress.reason) };
        return { state: 'waiting' };
      },
    });
  }

  private handle(pod: V1Pod): PodHandle {
    const namespace = pod.metadata?.namespace ?? 'default';
    const name = pod.metadata?.name ?? '';
    const mainContainer = pod.spec?.containers[0]?.name ?? 'main';
    const kubeConfig = this.options.kubeConfig;
    const core = this.core;
    return {
      namespace,
      name,
      ip: pod.status?.podIP ?? '',
      node: pod.spec?.nodeName ?? '',
      exec: (command: readonly string[], options: ExecOptions): Promise<ExecResult> =>
        execInPod(kubeConfig, namespace, name, options.container ?? mainContainer, command, options),
      logs: (container: string): Promise<string> => core.readNamespacedPodLog({ name, namespace, container }),
      [Symbol.asyncDispose]: async (): Promise<void> => {
        await core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0 }).catch(() => undefined);
      },
    };
  }

  addresses(): Promise<SceneAddresses> {
    return this.options.addresses();
  }

  sinkReceived(canary: string): Promise<readonly SinkRecord[]> {
    return this.options.sinkReceived(canary);
  }

  /** clusters/k8s/destination-liveness.ts: the destination's pods Ready with no restart in the window, a node Ready, the sink answering. */
  async destinationLiveness(flow: FlowDescriptor, window: TimeWindow): Promise<DestinationLiveness> {
    const sinkAnswers = (): Promise<boolean> =>
      this.options.sinkReceived(LIVENESS_PROBE_CANARY).then(
        () => true,
        () => false,
      );
    return kubeDestinationLiveness({ core: this.core, addresses: await this.options.addresses(), sinkAnswers }, flow, window);
  }

  private async podsWithContainer(namespace: string, labelSelector: string | undefined, container: string): Promise<V1Pod[]> {
    const list = await this.core.listNamespacedPod({ namespace, ...(labelSelector === undefined ? {} : { labelSelector }) });
    return list.items.filter((pod) => runsContainer(pod, container) && pod.status?.phase === 'Running');
  }

  private async logsSince(pods: readonly V1Pod[], container: string, from: Date): Promise<string> {
    const sinceSeconds = Math.max(1, Math.ceil((Date.now() - from.getTime()) / 1000) + 1);
    const logs = await Promise.all(
      pods.map((pod) =>
        this.core
          .readNamespacedPodLog({ name: pod.metadata?.name ?? '', namespace: pod.metadata?.namespace ?? '', container, sinceSeconds })
          .catch(() => ''),
      ),
    );
    return logs.join('\n');
  }

  /** Each layer's own record for the window: Hubble in every Cilium agent, Envoy and ztunnel logs, admission messages. */
  async collectEvidence(query: EvidenceQuery): Promise<readonly EvidenceItem[]> {
    const { window, flow } = query;
    const items: EvidenceItem[] = [...parseAdmissionMessages(this.admissionMessages.join('\n'), flow)];
    if (this.profile.cni === 'cilium') {
      const agents = await this.podsWithContainer('kube-system', 'k8s-app=cilium', 'cilium-agent');
      const command = ['hubble', 'observe', '-o', 'json', '--since', window.from.toISOString(), '--until', window.to.toISOString()];
      for (const agent of agents) {
        const result = await execInPod(this.options.kubeConfig, 'kube-system', agent.metadata?.name ?? '', 'cilium-agent', command, {
          timeoutMs: TIMEOUTS.evidenceMs,
        });
        items.push(...parseHubbleFlows(result.stdout, flow, window));
      }
    }
    const meshNamespaces = [SCENE.namespaces.app, SCENE.namespaces.rogue, SCENE.namespaces.privileged];
    if (this.profile.mesh === 'istio-sidecar') {
      for (const namespace of meshNamespaces) {
        const proxies = await this.podsWithContainer(namespace, undefined, 'istio-proxy');
        items.push(...parseEnvoyAccessLog(await this.logsSince(proxies, 'istio-proxy', window.from), { layer: 'mesh-sidecar', flow, window }));
      }
    }
    if (this.profile.mesh === 'istio-ambient') {
      const ztunnels = await this.podsWithContainer('istio-system', 'app=ztunnel', 'istio-proxy');
      items.push(...parseZtunnelLog(await this.logsSince(ztunnels, 'istio-proxy', window.from), flow, window));
      const waypoints = await this.podsWithContainer(SCENE.namespaces.app, 'gateway.networking.k8s.io/gateway-name=waypoint', 'istio-proxy');
      items.push(...parseEnvoyAccessLog(await this.logsSince(waypoints, 'istio-proxy', window.from), { layer: 'mesh-waypoint', flow, window }));
    }
    return items;
  }

  /** Delete every labelled namespace (and with it every pod), then the provider's own teardown. Idempotent. */
  async teardown(): Promise<void> {
    if (this.tornDown) return;
    this.tornDown = true;
    await deleteManagedNamespaces(this.core);
    await this.options.afterTeardown?.();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.teardown();
  }
}

/** Namespaces labelled managed-by=breachmatrix, deleted; returns their names. */
export async function deleteManagedNamespaces(core: CoreV1Api): Promise<string[]> {
  const namespaces = await core.listNamespace({ labelSelector: MANAGED_SELECTOR });
  const names = namespaces.items.map((namespace) => namespace.metadata?.name ?? '').filter((name) => name !== '');
  await Promise.all(names.map((name) => core.deleteNamespace({ name }).catch(() => undefined)));
  return names;
}
