import type { CoreV1Api, V1Node, V1Pod } from '@kubernetes/client-node';
import type { FlowDescriptor, TimeWindow } from '../../core/domain/evidence.ts';
import type { DestinationLiveness } from '../../core/domain/liveness.ts';
import type { SceneAddresses } from '../../core/domain/scene-addresses.ts';
import { SCENE } from '../../manifests/scene.ts';

const API_SERVICE = { name: SCENE.workloads.api.name, namespace: SCENE.namespaces.app } as const;

function podKey(pod: V1Pod): string {
  return `${pod.metadata?.namespace ?? '?'}/${pod.metadata?.name ?? '?'}`;
}

/**
 * A pod served through the window when it is Ready, not being deleted, and every container runs, is ready and was
 * started before the window began — a container restarted inside the window (crash, OOM, a killed proxy) has a
 * later `startedAt`, and its previous run's `finishedAt` falls in the window.
 */
export function podLiveness(pod: V1Pod, window: TimeWindow): DestinationLiveness {
  const key = podKey(pod);
  if (pod.metadata?.deletionTimestamp !== undefined) return { status: 'dead', died: `pod ${key} is being deleted` };
  if (pod.status?.phase !== 'Running') return { status: 'dead', died: `pod ${key} is ${pod.status?.phase ?? 'in no phase'}` };
  const ready = pod.status.conditions?.find((condition) => condition.type === 'Ready');
  if (ready?.status !== 'True') return { status: 'dead', died: `pod ${key} is not Ready (${ready?.reason ?? 'no Ready condition'})` };
  const checked: string[] = [];
  const statuses = [...(pod.status.containerStatuses ?? [])];
  // Native sidecars (restartPolicy Always init containers, e.g. istio-proxy) serve traffic too.
  const sidecars = (pod.status.initContainerStatuses ?? []).filter((status) =>
    pod.spec?.initContainers?.some((container) => container.name === status.name && container.restartPolicy === 'Always'),
  );
  for (const status of [...statuses, ...sidecars]) {
    const name = `${key} ${status.name}`;
    const running = status.state?.running;
    if (running === undefined) return { status: 'dead', died: `${name} is not running (${status.state?.waiting?.reason ?? status.state?.terminated?.reason ?? 'unknown state'})` };
    const started = running.startedAt === undefined ? undefined : new Date(running.startedAt);
    if (started === undefined || started.getTime() > window.from.getTime()) {
      return { status: 'dead', died: `${name} (re)started at ${started?.toISOString() ?? 'an unknown time'}, inside the attempt's window (restarts ${status.restartCount})` };
    }
    const finished = status.lastState?.terminated?.finishedAt;
    if (finished !== undefined && new Date(finished).getTime() >= window.from.getTime()) {
      return { status: 'dead', died: `${name} terminated at ${new Date(finished).toISOString()} (${status.lastState?.terminated?.reason ?? 'no reason'}), inside the attempt's window` };
    }
    if (!status.ready) return { status: 'dead', died: `${name} is not ready` };
    checked.push(`${name} running since ${started.toISOString()}, restarts ${status.restartCount}`);
  }
  if (checked.length === 0) return { status: 'dead', died: `pod ${key} reports no container status` };
  return { status: 'alive', checked };
}

export function nodeLiveness(node: V1Node): DestinationLiveness {
  const name = node.metadata?.name ?? '?';
  const ready = node.status?.conditions?.find((condition) => condition.type === 'Ready');
  return ready?.status === 'True' ? { status: 'alive', checked: [`node ${name} Ready`] } : { status: 'dead', died: `node ${name} is not Ready (${ready?.reason ?? 'no Ready condition'})` };
}

function combine(results: readonly DestinationLiveness[]): DestinationLiveness {
  const dead = results.find((result) => result.status !== 'alive');
  if (dead !== undefined) return dead;
  return { status: 'alive', checked: results.flatMap((result) => (result.status === 'alive' ? result.checked : [])) };
}

/** `<service>.<namespace>[.svc…]` (port and trailing dot stripped), or undefined for other names. */
export function serviceOf(name: string, defaultNamespace: string | undefined): { service: string; namespace: string } | undefined {
  const [service, namespace] = name.toLowerCase().replace(/:\d+$/, '').replace(/\.$/, '').split('.');
  const resolved = namespace ?? defaultNamespace;
  return service === undefined || service === '' || resolved === undefined ? undefined : { service, namespace: resolved };
}

export interface KubeLivenessSources {
  readonly core: CoreV1Api;
  readonly addresses: SceneAddresses;
  /** Answers only while the sink runs: the sink's query API (any canary). */
  readonly sinkAnswers: () => Promise<boolean>;
}

/** The flow's destination on a Kubernetes cluster: the pods behind its address or Service name, a node, or the sink. */
export async function kubeDestinationLiveness(sources: KubeLivenessSources, flow: FlowDescriptor, window: TimeWindow): Promise<DestinationLiveness> {
  const { core, addresses } = sources;
  const ip = flow.destinationIp;
  if (ip !== undefined && (ip === addresses.sink.ip || ip === addresses.metadata.ip)) {
    return (await sources.sinkAnswers()) ? { status: 'alive', checked: ['the sink answered its query API after the attempt'] } : { status: 'dead', died: 'the sink did not answer its query API' };
  }
  if (ip !== undefined) {
    const pods = (await core.listPodForAllNamespaces({ fieldSelector: `status.podIP=${ip}` })).items.filter((pod) => pod.spec?.hostNetwork !== true);
    if (pods.length > 0) return combine(pods.map((pod) => podLiveness(pod, window)));
    const nodeName = addresses.nodes.find((node) => node.ip === ip)?.name;
    if (nodeName !== undefined) {
      const node = nodeLiveness(await core.readNode({ name: nodeName }));
      // Behind api's NodePort the destination is api itself.
      if (flow.destinationPort === undefined || flow.destinationPort !== addresses.apiNodePort) return node;
      const api = await kubeDestinationLiveness(sources, { ...flow, destinationIp: undefined, destinationName: `${API_SERVICE.name}.${API_SERVICE.namespace}` }, window);
      return combine([node, api]);
    }
    return { status: 'unknown', reason: `no pod or node has the address ${ip}` };
  }
  if (flow.destinationName !== undefined) {
    const target = serviceOf(flow.destinationName, flow.sourceNamespace);
    if (target === undefined) return { status: 'unknown', reason: `${flow.destinationName} names no Service` };
    const service = await core.readNamespacedService({ name: target.service, namespace: target.namespace }).catch(() => undefined);
    const selector = service?.spec?.selector;
    if (selector === undefined || Object.keys(selector).length === 0) {
      if (target.service === 'kubernetes' || flow.destinationName === addresses.apiServer.host) return { status: 'alive', checked: ['the API server answers this harness'] };
      return { status: 'unknown', reason: `Service ${target.namespace}/${target.service} has no selector to find its pods by` };
    }
    const labelSelector = Object.entries(selector).map(([key, value]) => `${key}=${value}`).join(',');
    const pods = (await core.listNamespacedPod({ namespace: target.namespace, labelSelector })).items;
    if (pods.length === 0) return { status: 'dead', died: `Service ${target.namespace}/${target.service} selects no pod` };
    return combine(pods.map((pod) => podLiveness(pod, window)));
  }
  return { status: 'unknown', reason: 'the flow names no destination address or name' };
}
