import type { V1Pod } from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Cluster, ClusterProvider, EvidenceQuery, ExecOptions, ExecResult, KubeObject, PodCreation, PodHandle, SinkRecord } from '../../core/domain/cluster.ts';
import type { EvidenceItem, FlowDescriptor, TimeWindow } from '../../core/domain/evidence.ts';
import type { DestinationLiveness } from '../../core/domain/liveness.ts';
import type { Profile } from '../../core/domain/profile.ts';
import type { SceneAddresses } from '../../core/domain/scene-addresses.ts';
import type { ClientSignal } from '../../core/domain/signal.ts';
import { CONVERGENCE_POD } from '../../core/runner/convergence-probe.ts';

/** What a scripted pod does when its script runs. */
export interface ScriptedRun {
  readonly signal: ClientSignal;
  readonly detail?: string;
  /** Simulated duration of the script (a blocked attempt costs a timeout). */
  readonly delayMs?: number;
  /** Layer records this run leaves. */
  readonly evidence?: readonly EvidenceItem[];
  /** The sink receives the CANARY of this run's environment. */
  readonly delivers?: boolean;
  /** Admission refuses the pod with this message. */
  readonly rejectWith?: string;
}

/** Decides a pod's scripted behaviour from the pod itself (tests key it by pod name or labels). */
export type Replay = (pod: V1Pod) => ScriptedRun;

export const MEMORY_ADDRESSES: SceneAddresses = {
  sink: { ip: '198.51.100.10', httpPort: 8080, tcpPort: 9000, udpPort: 9001, dnsPort: 53, dnsZone: 'exfil.test' },
  metadata: { ip: '169.254.169.254', port: 80 },
  nodes: [{ name: 'memory-worker', ip: '192.0.2.1' }],
  apiServer: { host: '192.0.2.100', port: 6443 },
  workloads: {},
};

/**
 * An in-memory Cluster for the project's own tests: it runs no network, it replays scripted signals, evidence
 * and sink deliveries. It is deliberately absent from the CLI's provider registry.
 */
export class MemoryCluster implements Cluster {
  readonly name: string;
  readonly provider = 'lab' as const;
  readonly profile: Profile;
  readonly applied: KubeObject[] = [];
  readonly podsCreated: string[] = [];
  readonly podsDeleted: string[] = [];
  tornDown = false;
  private readonly replay: Replay;
  private readonly evidence = new Map<string, readonly EvidenceItem[]>();
  private readonly sink: SinkRecord[] = [];
  private running = 0;
  maxConcurrentScripts = 0;
  /**
   * Scripted destination health: what `destinationLiveness` answers for a flow (tests kill a destination here).
   * Every destination is alive unless this says otherwise.
   */
  liveness: (flow: FlowDescriptor, window: TimeWindow) => DestinationLiveness = () => ({ status: 'alive', checked: ['memory: scripted alive'] });
  /** The flows `destinationLiveness` was asked about. */
  readonly livenessAsked: FlowDescriptor[] = [];

  constructor(profile: Profile, replay: Replay) {
    this.name = `memory-${profile.id}`;
    this.profile = profile;
    this.replay = replay;
  }

  private applyCalls = 0;

  async apply(objects: readonly KubeObject[]): Promise<void> {
    this.applyCalls += 1;
    this.applied.push(...objects);
  }

  /**
   * The runner's convergence probe sees policy take effect as a real cluster would: allowed while only the
   * scene is applied (the first apply), denied once anything else (policies) has been applied.
   */
  private convergenceProbe(): ScriptedRun {
    return this.applyCalls > 1 ? { signal: 'timeout' } : { signal: 'http-ok' };
  }

  async createPod(pod: V1Pod): Promise<PodCreation> {
    const name = pod.metadata?.name ?? 'unnamed';
    const scripted = name.startsWith(CONVERGENCE_POD) ? this.convergenceProbe() : this.replay(pod);
    if (scripted.rejectWith !== undefined) return { status: 'rejected', layer: 'admission', message: scripted.rejectWith };
    this.podsCreated.push(name);
    const handle: PodHandle = {
      namespace: pod.metadata?.namespace ?? 'default',
      name,
      ip: '10.244.0.10',
      node: 'memory-worker',
      exec: (_command, options) => this.exec(name, scripted, options),
      logs: async () => this.resultLine(scripted),
      [Symbol.asyncDispose]: async () => {
        this.podsDeleted.push(name);
      },
    };
    return { status: 'running', pod: handle };
  }

  private resultLine(scripted: ScriptedRun): string {
    return `BM-RESULT ${JSON.stringify({ signal: scripted.signal, exit: 0, detail: scripted.detail ?? '' })}\n`;
  }

  private async exec(podName: string, scripted: ScriptedRun, options: ExecOptions): Promise<ExecResult> {
    this.running += 1;
    this.maxConcurrentScripts = Math.max(this.maxConcurrentScripts, this.running);
    try {
      await sleep(scripted.delayMs ?? 0);
      this.evidence.set(podName, scripted.evidence ?? []);
      const canary = options.env?.CANARY;
      if (scripted.delivers === true && canary !== undefined) {
        this.sink.push({ canary, protocol: 'http', from: '10.244.0.10', at: new Date().toISOString() });
      }
      return { exitCode: 0, stdout: this.resultLine(scripted), stderr: '', timedOut: false, durationMs: scripted.delayMs ?? 0 };
    } finally {
      this.running -= 1;
    }
  }

  async addresses(): Promise<SceneAddresses> {
    return MEMORY_ADDRESSES;
  }

  async collectEvidence(query: EvidenceQuery): Promise<readonly EvidenceItem[]> {
    return query.flow.sourcePod === undefined ? [] : (this.evidence.get(query.flow.sourcePod) ?? []);
  }

  async sinkReceived(canary: string): Promise<readonly SinkRecord[]> {
    return this.sink.filter((record) => record.canary === canary);
  }

  async destinationLiveness(flow: FlowDescriptor, window: TimeWindow): Promise<DestinationLiveness> {
    this.livenessAsked.push(flow);
    return this.liveness(flow, window);
  }

  async teardown(): Promise<void> {
    this.tornDown = true;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.teardown();
  }
}

/** A provider over MemoryCluster, for runner tests. */
export function memoryProvider(replay: Replay, created: MemoryCluster[] = []): ClusterProvider & { readonly created: MemoryCluster[] } {
  return {
    name: 'lab',
    created,
    preflight: async () => {},
    create: async (profile) => {
      const cluster = new MemoryCluster(profile, replay);
      created.push(cluster);
      return cluster;
    },
  };
}
