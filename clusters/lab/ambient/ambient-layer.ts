import { readFile } from 'node:fs/promises';
import type { EvidenceQuery, KubeObject } from '../../../core/domain/cluster.ts';
import type { EvidenceItem } from '../../../core/domain/evidence.ts';
import { parseZtunnelLog } from '../../../core/evidence/ztunnel-log.ts';
import type { ProcessRegistry } from '../process-registry.ts';
import { HostProbeSync, type HostProbeNode, type HostProbeNodeMember } from './host-probe-sync.ts';
import { isAmbientMember, isWaypointBound, LabAmbient, type KnownWorkload, type LabAmbientPod } from './index.ts';

/** What the ambient layer needs to know about one lab pod. */
export interface AmbientLayerPod extends LabAmbientPod {
  readonly key: string;
  readonly hostNetwork: boolean;
  readonly node: { readonly name: string };
}

/** The lab core's current state, read on every configuration write. */
export interface AmbientLayerView {
  istioObjects(): readonly KubeObject[];
  pods(): readonly (Omit<AmbientLayerPod, 'netns' | 'workDir'> & { readonly deleted: boolean })[];
  namespaceLabels(namespace: string): Readonly<Record<string, string>>;
  /** `<svc>.<ns>.svc.cluster.local` of the first Service selecting the pod, if any. */
  serviceOf(namespace: string, labels: Readonly<Record<string, string>>): string | undefined;
  readonly caDir: string;
  /** The lab's nodes: each gets istio-cni's host probe SNAT for its own ambient pods. */
  nodes(): readonly HostProbeNode[];
}

interface LogRecord {
  readonly ip: string;
  readonly name: string;
  readonly namespace: string;
  readonly service: string | undefined;
  readonly path: string;
}

/**
 * The `mesh-ztunnel` layer of lab:ambient: decides membership (namespace label, pod opt-out), gives members
 * the in-pod redirection and a ztunnel stand-in, keeps every ztunnel's view of peers and policies current, and
 * reads their access logs as evidence. Logs of deleted pods stay readable: attempts are judged after their
 * attacker pod is gone.
 */
export class AmbientLayer {
  private readonly view: AmbientLayerView;
  private readonly registry: ProcessRegistry;
  private readonly live = new Map<string, LabAmbient>();
  private readonly logs: LogRecord[] = [];
  /** Ambient pods in the nodes' host probe sets, by pod key. */
  private readonly probeMembers = new Map<string, HostProbeNodeMember>();
  private readonly hostProbes: HostProbeSync;

  constructor(view: AmbientLayerView, registry: ProcessRegistry) {
    this.view = view;
    this.registry = registry;
    this.hostProbes = new HostProbeSync(() => view.nodes(), () => [...this.probeMembers.values()]);
  }

  isMember(pod: Pick<AmbientLayerPod, 'namespace' | 'labels' | 'hostNetwork'>): boolean {
    return isAmbientMember(this.view.namespaceLabels(pod.namespace), pod.labels, pod.hostNetwork);
  }

  /** Objects the lab cannot model in ambient: waypoint-bound L7 policies (the lab has no waypoint). */
  /** Whether the pod's redirection and ztunnel are in place (what Istio's `ambient.istio.io/redirection` annotation reports). */
  isEnrolled(key: string): boolean {
    return this.live.has(key);
  }

  static notModelled(object: KubeObject): boolean {
    return isWaypointBound(object);
  }

  /**
   * Redirection first, then the proxy: the pod's first packet (an init container's) already meets ztunnel. Last,
   * as istio-cni does, the pod joins its node's host probe set (node-originated TCP to it is SNATed to 169.254.7.127).
   */
  async add(pod: AmbientLayerPod): Promise<void> {
    const ambient = new LabAmbient(pod, { istioObjects: () => this.view.istioObjects(), workloads: () => this.workloads(), caDir: this.view.caDir });
    this.live.set(pod.key, ambient);
    this.logs.push({ ip: pod.ip, name: pod.name, namespace: pod.namespace, service: this.view.serviceOf(pod.namespace, pod.labels), path: ambient.accessLogPath });
    await ambient.installRedirection();
    await ambient.start(this.registry);
    this.probeMembers.set(pod.key, { ip: pod.ip, pod: pod.key, node: pod.node.name });
    await Promise.all([this.refresh(), this.hostProbes.request()]);
  }

  async remove(key: string): Promise<void> {
    const ambient = this.live.get(key);
    this.live.delete(key);
    const wasMember = this.probeMembers.delete(key);
    await ambient?.stop(this.registry);
    await Promise.all([this.refresh(), wasMember ? this.hostProbes.request() : undefined]);
  }

  /** The host probe table last loaded into a node (`nft -f` text), if any. */
  hostProbeRuleset(node: string): string | undefined {
    return this.hostProbes.loadedText(node);
  }

  /** Rewrites every ztunnel's configuration (peers, services, policies). */
  async refresh(): Promise<void> {
    await Promise.all([...this.live.values()].map((ambient) => ambient.reload()));
  }

  async stopAll(): Promise<void> {
    this.hostProbes.stop();
    await Promise.all([...this.live.values()].map((ambient) => ambient.stop(this.registry)));
    this.live.clear();
  }

  workloads(): KnownWorkload[] {
    return this.view
      .pods()
      .filter((pod) => !pod.deleted && !pod.hostNetwork)
      .map((pod) => {
        const service = this.view.serviceOf(pod.namespace, pod.labels);
        return {
          ip: pod.ip,
          namespace: pod.namespace,
          name: pod.name,
          serviceAccount: pod.serviceAccount,
          ambient: this.live.has(pod.key),
          ...(service === undefined ? {} : { service }),
        };
      });
  }

  /** ztunnel lines of the flow's source and destination pods (by IP, pod name or Service name). */
  async evidence(query: EvidenceQuery): Promise<EvidenceItem[]> {
    const { flow } = query;
    const wanted = this.logs.filter(
      (log) =>
        log.ip === flow.sourceIp ||
        log.ip === flow.destinationIp ||
        (log.name === flow.sourcePod && (flow.sourceNamespace === undefined || log.namespace === flow.sourceNamespace)) ||
        (flow.destinationName !== undefined && log.service !== undefined && serviceNameMatches(log.service, flow.destinationName)),
    );
    const paths = [...new Set(wanted.map((log) => log.path))];
    const texts = await Promise.all(paths.map((path) => readFile(path, 'utf8').catch(() => '')));
    return texts.flatMap((text) => parseZtunnelLog(text, flow, query.window));
  }
}

/** `api`, `api.bm-app`, `api.bm-app.svc` and the full name all name `api.bm-app.svc.cluster.local`. */
function serviceNameMatches(full: string, name: string): boolean {
  return full === name || full.startsWith(`${name}.`);
}
