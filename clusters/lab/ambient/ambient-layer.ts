import { readFile } from 'node:fs/promises';
import type { EvidenceQuery, KubeObject } from '../../../core/domain/cluster.ts';
import type { EvidenceItem } from '../../../core/domain/evidence.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FlowDescriptor } from '../../../core/domain/evidence.ts';
import type { PathNormalization } from '../../../core/domain/profile.ts';
import { parseLabProxyLog } from '../../../core/evidence/lab-proxy-log.ts';
import { namesMatch } from '../../../core/evidence/match-flow.ts';
import { parseZtunnelLog } from '../../../core/evidence/ztunnel-log.ts';
import type { ProcessRegistry } from '../process-registry.ts';
import { spiffeIdOf } from '../sidecar/lab-ca.ts';
import { SIDECAR_TIMEOUTS } from '../sidecar/timeouts.ts';
import { HostProbeSync, type HostProbeNode, type HostProbeNodeMember } from './host-probe-sync.ts';
import { isAmbientMember, LabAmbient, targetsUnmodelledKind, type KnownWorkload, type LabAmbientPod, type ZtunnelService } from './index.ts';
import { LabWaypoint, type WaypointPod } from './lab-waypoint.ts';
import type { VipService } from './waypoint-config.ts';
import type { WaypointView } from './waypoint-gateway.ts';

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
  /** Services with a ClusterIP (the waypoint-bound ones, service-vips.ts), with their ports and endpoints. */
  vipServices(): readonly VipService[];
  /** `meshConfig.pathNormalization` the waypoints apply. */
  readonly pathNormalization: PathNormalization;
}

/** Whether a flow goes through a waypoint, and which. */
export type FlowWaypoint = { readonly kind: 'none' } | { readonly kind: 'waypoint'; readonly waypoint: LabWaypoint; readonly service: string };

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
  /** Running waypoints, by Gateway `ns/name`. */
  private readonly waypoints = new Map<string, LabWaypoint>();

  constructor(view: AmbientLayerView, registry: ProcessRegistry) {
    this.view = view;
    this.registry = registry;
    this.hostProbes = new HostProbeSync(() => view.nodes(), () => [...this.probeMembers.values()]);
  }

  isMember(pod: Pick<AmbientLayerPod, 'namespace' | 'labels' | 'hostNetwork'>): boolean {
    return isAmbientMember(this.view.namespaceLabels(pod.namespace), pod.labels, pod.hostNetwork);
  }

  /** Whether the pod's redirection and ztunnel are in place (what Istio's `ambient.istio.io/redirection` annotation reports). */
  isEnrolled(key: string): boolean {
    return this.live.has(key);
  }

  /** Objects the lab cannot model in ambient: policies attached to a GatewayClass or a ServiceEntry. */
  static notModelled(object: KubeObject): boolean {
    return targetsUnmodelledKind(object);
  }

  /** Starts the waypoint of a Gateway in the pod the lab made for it, then points every ztunnel at it. */
  async startWaypoint(view: WaypointView, pod: WaypointPod): Promise<void> {
    const waypoint = new LabWaypoint(view, pod, {
      istioObjects: () => this.view.istioObjects(),
      vipServices: () => this.view.vipServices(),
      caDir: this.view.caDir,
      pathNormalization: this.view.pathNormalization,
    });
    await waypoint.start(this.registry);
    this.waypoints.set(`${view.namespace}/${view.name}`, waypoint);
    await this.refresh();
  }

  hasWaypoint(namespace: string, name: string): boolean {
    return this.waypoints.has(`${namespace}/${name}`);
  }

  /** The waypoint a flow is addressed through: its destination is a waypoint-bound Service's name or VIP. */
  flowWaypoint(flow: Pick<FlowDescriptor, 'destinationName' | 'destinationIp'>): FlowWaypoint {
    const service = this.view
      .vipServices()
      .find(
        (candidate) =>
          (flow.destinationIp !== undefined && flow.destinationIp === candidate.vip) ||
          (flow.destinationName !== undefined && namesMatch(flow.destinationName, candidate.host)),
      );
    if (service?.waypoint === undefined) return { kind: 'none' };
    const waypoint = this.waypoints.get(`${service.namespace}/${service.waypoint}`);
    if (waypoint === undefined) return { kind: 'none' };
    return { kind: 'waypoint', waypoint, service: service.host };
  }

  /**
   * Service VIPs as every ztunnel routes them. A Service naming a waypoint the lab does not run (yet) has none, as
   * istiod does: fetchWaypointForService returns nil and reports WaypointIsNotReady, so ztunnel sends to the endpoints
   * (istio/istio pilot/pkg/serviceregistry/kube/controller/ambient/waypoints.go).
   */
  ztunnelServices(): Record<string, ZtunnelService> {
    return Object.fromEntries(
      this.view.vipServices().map((service): [string, ZtunnelService] => {
        const base = {
          name: service.host,
          endpoints: service.endpoints.map((endpoint) => endpoint.ip),
          targetPorts: Object.fromEntries(service.ports.map((port) => [String(port.port), port.targetPort])),
        };
        if (service.waypoint === undefined) return [service.vip, base];
        const waypoint = this.waypoints.get(`${service.namespace}/${service.waypoint}`);
        if (waypoint === undefined) return [service.vip, base];
        return [
          service.vip,
          { ...base, waypoint: { ip: waypoint.pod.ip, identity: spiffeIdOf(waypoint.view.namespace, waypoint.view.name), workload: waypoint.pod.name, namespace: waypoint.view.namespace } },
        ];
      }),
    );
  }

  /**
   * Redirection first, then the proxy: the pod's first packet (an init container's) already meets ztunnel. Last,
   * as istio-cni does, the pod joins its node's host probe set (node-originated TCP to it is SNATed to 169.254.7.127).
   */
  async add(pod: AmbientLayerPod): Promise<void> {
    const ambient = new LabAmbient(pod, {
      istioObjects: () => this.view.istioObjects(),
      workloads: () => this.workloads(),
      services: () => this.ztunnelServices(),
      caDir: this.view.caDir,
    });
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

  /** Rewrites every ztunnel's and waypoint's configuration (peers, services, endpoints, policies). */
  async refresh(): Promise<void> {
    await Promise.all([...[...this.live.values()].map((ambient) => ambient.reload()), ...[...this.waypoints.values()].map((waypoint) => waypoint.reload())]);
  }

  async stopAll(): Promise<void> {
    this.hostProbes.stop();
    await Promise.all([
      ...[...this.live.values()].map((ambient) => ambient.stop(this.registry)),
      ...[...this.waypoints.values()].map((waypoint) => waypoint.stop(this.registry)),
    ]);
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
    return [...texts.flatMap((text) => parseZtunnelLog(text, flow, query.window)), ...(await this.waypointEvidence(query))];
  }

  /**
   * The waypoints' access lines of this attempt (`mesh-waypoint`). HAProxy writes a line when the request ends, so
   * for a flow addressed through a waypoint a short, bounded wait lets a line about to land count.
   */
  private async waypointEvidence(query: EvidenceQuery): Promise<EvidenceItem[]> {
    const waypoints = [...this.waypoints.values()];
    if (waypoints.length === 0) return [];
    const through = this.flowWaypoint(query.flow).kind === 'waypoint';
    const deadline = Date.now() + (through ? SIDECAR_TIMEOUTS.proxyLogSettleMs : 0);
    for (;;) {
      const texts = await Promise.all(waypoints.map((waypoint) => readFile(waypoint.accessLogPath, 'utf8').catch(() => '')));
      const items = texts.flatMap((text) => parseLabProxyLog(text, { flow: query.flow, window: query.window }, 'mesh-waypoint'));
      if (items.length > 0 || Date.now() >= deadline) return items;
      await sleep(SIDECAR_TIMEOUTS.proxyLogPollMs);
    }
  }
}

/** `api`, `api.bm-app`, `api.bm-app.svc` and the full name all name `api.bm-app.svc.cluster.local`. */
function serviceNameMatches(full: string, name: string): boolean {
  return full === name || full.startsWith(`${name}.`);
}
