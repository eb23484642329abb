import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EvidenceQuery } from '../../core/domain/cluster.ts';
import type { EvidenceItem, FlowDescriptor, TimeWindow } from '../../core/domain/evidence.ts';
import type { DestinationLiveness } from '../../core/domain/liveness.ts';
import { parseLabProxyLog } from '../../core/evidence/lab-proxy-log.ts';
import { nftCounterEvidence, parseNftDropCounters, type NftDropCounter } from '../../core/evidence/nft-counters.ts';
import { TIMEOUTS } from '../../core/timeouts.ts';
import { LAB_ADDRESSES } from './addressing.ts';
import { CoalescingSync } from './coalescing-sync.ts';
import type { AmbientLayer } from './ambient/ambient-layer.ts';
import { labPodsLiveness, sinkLiveness } from './destination-liveness.ts';
import { mustRun } from './host-command.ts';
import { serviceSelector } from './lab-objects.ts';
import type { LabPod } from './lab-pod.ts';
import type { LabState } from './lab-state.ts';
import { SIDECAR_TIMEOUTS } from './sidecar/timeouts.ts';
import { netnsCommand } from './netns-command.ts';

interface NamedService {
  readonly namespace: string;
  readonly selector: Record<string, string>;
}

/** Each layer's own record of a flow (nft drop counters, sidecar proxy logs, ztunnel logs) and its destination's health. */
export class LabEvidence {
  private readonly state: LabState;
  private readonly ambient: AmbientLayer | undefined;
  /** Packets each drop counter had when an attempt last claimed it. */
  private readonly counterBaseline = new Map<string, number>();
  private readonly counterReads = new CoalescingSync(() => this.readDropCounters());

  constructor(state: LabState, ambient: AmbientLayer | undefined) {
    this.state = state;
    this.ambient = ambient;
  }

  /**
   * Current drop counters of every node: read after this call, so they include every drop made before it. Attempts
   * asking at once share one read (one `nft` per node, not one per attempt); nobody gets a read begun before it asked.
   */
  async dropCounters(): Promise<NftDropCounter[]> {
    return [...(await this.counterReads.request())];
  }

  private async readDropCounters(): Promise<readonly NftDropCounter[]> {
    const state = this.state;
    if (!state.enforcesNetworkPolicy) return [];
    const all = await Promise.all(
      state.nodes.map(async (node) => {
        const result = await mustRun(...netnsCommand(state.names.node(node.index), 'nft', ['-j', 'list', 'ruleset']), {
          timeoutMs: TIMEOUTS.evidenceMs,
        }, 'lab evidence');
        return parseNftDropCounters(result.stdout, node.name);
      }),
    );
    return Object.freeze(all.flat());
  }

  async collect(query: EvidenceQuery): Promise<readonly EvidenceItem[]> {
    const counters = await this.dropCounters();
    const podIps = new Map([...this.state.pods.values()].filter((p) => !p.hostNetwork).map((p) => [p.key, p.ip] as const));
    const items = nftCounterEvidence(counters, this.counterBaseline, query.flow, { podIps, window: query.window });
    // Only the counters this flow claimed move their baseline: attempts run concurrently, and resetting every
    // counter here would swallow another attempt's drops before it reads them.
    const claimed = new Set(items.map((item) => item.raw));
    for (const counter of counters) if (claimed.has(counter.raw)) this.counterBaseline.set(counter.key, counter.packets);
    const proxyItems = await this.sidecarEvidence(query);
    const ztunnelItems = (await this.ambient?.evidence(query)) ?? [];
    return [...items, ...proxyItems, ...ztunnelItems];
  }

  /**
   * Proxy-log evidence from the sidecars of the flow's source and destination pods only (reading every proxy's
   * log on every attempt was O(pods) per attempt). A TCP line is written when the connection closes, so a short,
   * bounded wait lets a line that is about to land count.
   */
  private async sidecarEvidence(query: EvidenceQuery): Promise<EvidenceItem[]> {
    const sidecars = this.flowPods(query.flow).flatMap((labPod) => {
      const sidecar = this.state.sidecars.get(labPod.key);
      return sidecar === undefined ? [] : [sidecar];
    });
    if (sidecars.length === 0) return [];
    const deadline = Date.now() + SIDECAR_TIMEOUTS.proxyLogSettleMs;
    for (;;) {
      const logs = await Promise.all(sidecars.map((sidecar) => readFile(sidecar.accessLogPath, 'utf8').catch(() => '')));
      const items = logs.flatMap((text) => parseLabProxyLog(text, { flow: query.flow, window: query.window }));
      if (items.length > 0 || Date.now() >= deadline) return items;
      await sleep(SIDECAR_TIMEOUTS.proxyLogPollMs);
    }
  }

  /** Pods a flow names: its source (pod or IP) and its destination (IP, or the pods a Service name selects). */
  private flowPods(flow: EvidenceQuery['flow']): LabPod[] {
    const picked = new Set<LabPod>();
    const services = flow.destinationName === undefined ? [] : this.servicesNamed(flow.destinationName, flow.sourceNamespace);
    for (const labPod of this.state.pods.values()) {
      if (labPod.deleted) continue;
      const isSource =
        (flow.sourcePod !== undefined && labPod.name === flow.sourcePod && (flow.sourceNamespace === undefined || labPod.namespace === flow.sourceNamespace)) ||
        (flow.sourceIp !== undefined && !labPod.hostNetwork && labPod.ip === flow.sourceIp);
      const isDestination =
        (flow.destinationIp !== undefined && !labPod.hostNetwork && labPod.ip === flow.destinationIp) ||
        services.some(
          (service) =>
            service.namespace === labPod.namespace &&
            Object.keys(service.selector).length > 0 &&
            Object.entries(service.selector).every(([key, value]) => labPod.labels[key] === value),
        );
      if (isSource || isDestination) picked.add(labPod);
    }
    return [...picked];
  }

  /** The flow's destination: the sink, a node, or the pods its address or Service name means (clusters/lab/destination-liveness.ts). */
  async destinationLiveness(flow: FlowDescriptor, window: TimeWindow): Promise<DestinationLiveness> {
    const state = this.state;
    const ip = flow.destinationIp;
    if (ip === LAB_ADDRESSES.sinkIp || ip === LAB_ADDRESSES.metadataIp) return sinkLiveness(state.sinkProcess);
    const node = state.nodes.find((candidate) => candidate.ip === ip);
    if (node !== undefined) return { status: 'alive', checked: [`node ${node.name} (a network namespace: nothing to die)`] };
    const vipService = ip === undefined ? undefined : state.serviceVips.serviceAt(ip);
    const [vipNamespace, vipName] = vipService?.split('/') ?? [];
    const services = vipService !== undefined
      ? this.servicesNamed(`${vipName ?? ''}.${vipNamespace ?? ''}`, undefined)
      : flow.destinationName === undefined ? [] : this.servicesNamed(flow.destinationName, flow.sourceNamespace);
    const byService = ip === undefined || vipService !== undefined;
    const pods = [...state.pods.values()].filter(
      (labPod) =>
        (ip !== undefined && !labPod.hostNetwork && labPod.ip === ip) ||
        (byService &&
          services.some(
            (service) =>
              service.namespace === labPod.namespace &&
              Object.keys(service.selector).length > 0 &&
              Object.entries(service.selector).every(([key, value]) => labPod.labels[key] === value),
          )),
    );
    const sidecars = state.sidecars;
    const destinations = pods.map((labPod) => {
      const proxy = sidecars.get(labPod.key)?.health();
      return {
        key: labPod.key,
        deleted: labPod.deleted,
        sandboxAlive: labPod.sandbox === undefined || !labPod.sandbox.process.hasExited(),
        processes: labPod.processes,
        ...(proxy === undefined ? {} : { proxy }),
      };
    });
    // Traffic addressed to a waypoint-bound Service is served by the waypoint too: a dead one is an error, never a block.
    const through = this.ambient?.flowWaypoint(flow) ?? { kind: 'none' as const };
    if (through.kind === 'waypoint') {
      const waypointPod = state.pods.get(through.waypoint.pod.key);
      destinations.push({
        key: through.waypoint.pod.key,
        deleted: waypointPod?.deleted ?? true,
        sandboxAlive: waypointPod?.sandbox === undefined || !waypointPod.sandbox.process.hasExited(),
        processes: waypointPod?.processes ?? new Map(),
        proxy: through.waypoint.health(),
      });
    }
    return labPodsLiveness(destinations, window.from);
  }

  /** Services a DNS-style name means: `api`, `api.bm-app`, `api.bm-app.svc.cluster.local` (port and dot stripped). */
  private servicesNamed(name: string, defaultNamespace: string | undefined): NamedService[] {
    const [service, namespace] = name.toLowerCase().replace(/:\d+$/, '').replace(/\.$/, '').split('.');
    const wantedNamespace = namespace ?? defaultNamespace;
    return [...this.state.services.values()]
      .filter((object) => object.metadata.name === service && (wantedNamespace === undefined || object.metadata.namespace === wantedNamespace))
      .map((object) => ({ namespace: object.metadata.namespace ?? '', selector: serviceSelector(object) }));
  }
}
