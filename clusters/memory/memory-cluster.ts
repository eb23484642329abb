import type { V1Pod } from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Cluster, ClusterProvider, CreatePodOptions, EvidenceQuery, ExecOptions, ExecResult, KubeObject, PodCreation, PodHandle, SinkRecord } from '../../core/domain/cluster.ts';
import type { EvidenceItem, FlowDescriptor, TimeWindow } from '../../core/domain/evidence.ts';
import type { DestinationLiveness } from '../../core/domain/liveness.ts';
import type { Profile } from '../../core/domain/profile.ts';
import type { SceneAddresses } from '../../core/domain/scene-addresses.ts';
import { stackTraits } from '../../core/domain/profile.ts';
import { PASS_SIGNALS, type ClientSignal } from '../../core/domain/signal.ts';
import { CAPTURE_OPEN_LINE } from '../../attack-pods/script-result.ts';
import { stopCommandToken } from '../../attack-pods/script-stop.ts';
import { AMBIENT_REDIRECTION_ANNOTATION, ISTIO_PROXY_CONTAINER } from '../../core/scene-check/mesh-enrolment.ts';
import { DNS_PROBE, METADATA_PROBE, SCENE_CHECK_LABEL, sceneFlows } from '../../core/scene-check/scene-flows.ts';
import { meshMemberLabels } from '../../manifests/scene/namespaces.ts';
import { AdmissionPolicyEvaluator } from '../../core/admission/validating-admission-policy.ts';

/** What a scripted pod does when its script runs. */
export interface ScriptedRun {
  readonly signal: ClientSignal;
  readonly detail?: string;
  /** Simulated duration of the script (a blocked attempt costs a timeout); a capture's bound. */
  readonly delayMs?: number;
  /** When the script's CANARY leaves, ms into the run (a victim slow to send on a loaded machine); at once unless said. */
  readonly sendsAfterMs?: number;
  /** Layer records this run leaves. */
  readonly evidence?: readonly EvidenceItem[];
  /** The sink receives the CANARY of this run's environment. */
  readonly delivers?: boolean;
  /** Over which protocol the sink records it (http unless said). */
  readonly deliversOver?: SinkRecord['protocol'];
  /** Admission refuses the pod with this message. */
  readonly rejectWith?: string;
  /** Further result-line fields the script reports (e.g. a capture's `packets`, `canary_seen`, `flows`). */
  readonly fields?: Readonly<Record<string, string | number>>;
  /** Lines the script prints while it runs, each `atMs` into the run (streamed to ExecOptions.onStdout). */
  readonly streams?: readonly { readonly atMs: number; readonly line: string }[];
  /**
   * A sniffer: its capture opens `opensAfterMs` into the run (it then prints CAPTURE_OPEN_LINE) and stays open until a
   * stop exec in this pod carries its CAPTURE_STOP_TOKEN (attack-pods/script-stop.ts) or `delayMs`, its bound.
   * Its `canary_seen` is 1 only when a pod whose script passed sent this run's CANARY while it was open.
   */
  readonly capture?: { readonly opensAfterMs: number };
}

/** Decides a pod's scripted behaviour from the pod itself (tests key it by pod name or labels). */
export type Replay = (pod: V1Pod) => ScriptedRun;

/** Whether the policies have been applied yet (any apply after the first, the scene, counts). */
export type ScenePhase = 'before-policies' | 'after-policies';

/** Fault injection for the scene self-test; `undefined` keeps the healthy behaviour. */
export interface MemorySceneFaults {
  /** What a self-test probe (by check id, e.g. `intruder-api`, `dns-exfil`) does in a phase. */
  readonly probe?: (checkId: string, phase: ScenePhase) => ScriptedRun | undefined;
  /** The live form of an applied object, given the healthy one (return another to simulate a mutation). */
  readonly live?: (sent: KubeObject, healthy: KubeObject | undefined) => KubeObject | undefined;
}

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
  /** Every removeApplied call, in order (depth passes on kube providers delete and re-apply policies). */
  readonly removals: KubeObject[][] = [];
  readonly podsCreated: string[] = [];
  readonly podsDeleted: string[] = [];
  /** The pods whose script ran (exec), in order of start. */
  readonly scriptsRun: string[] = [];
  /** The environment each script ran with, by pod. */
  readonly scriptEnv = new Map<string, Readonly<Record<string, string>>>();
  tornDown = false;
  private readonly replay: Replay;
  private readonly evidence = new Map<string, readonly EvidenceItem[]>();
  private readonly sink: SinkRecord[] = [];
  /** When (performance.now) each passing script carrying a CANARY sent it, for sniffers' simulated captures. */
  private readonly canarySent: { readonly canary: string; readonly pod: string; readonly at: number }[] = [];
  /** Captures running now, by pod: their stop token and how to end them. */
  private readonly openCaptures = new Map<string, { readonly token: string | undefined; readonly end: () => void }>();
  /** Every stop exec, in order: the pod, the token it carried, and whether the capture there had that token. */
  readonly stopsSent: { readonly pod: string; readonly token: string; readonly matched: boolean }[] = [];
  private running = 0;
  maxConcurrentScripts = 0;
  /**
   * Scripted destination health: what `destinationLiveness` answers for a flow (tests kill a destination here).
   * Every destination is alive unless this says otherwise.
   */
  liveness: (flow: FlowDescriptor, window: TimeWindow) => DestinationLiveness = () => ({ status: 'alive', checked: ['memory: scripted alive'] });
  /** The flows `destinationLiveness` was asked about. */
  readonly livenessAsked: FlowDescriptor[] = [];

  private readonly faults: MemorySceneFaults;

  constructor(profile: Profile, replay: Replay, faults: MemorySceneFaults = {}) {
    this.name = `memory-${profile.id}`;
    this.profile = profile;
    this.replay = replay;
    this.faults = faults;
  }

  private applyCalls = 0;

  async apply(objects: readonly KubeObject[]): Promise<void> {
    this.applyCalls += 1;
    this.applied.push(...objects);
  }

  /** Like a kube cluster: only objects applied here, all checked before any goes. */
  async removeApplied(objects: readonly KubeObject[]): Promise<void> {
    const indexOf = (sent: KubeObject): number => this.applied.findIndex((object) => sameObject(object, sent));
    const foreign = objects.filter((object) => indexOf(object) < 0);
    if (foreign.length > 0) throw new Error(`refusing to delete (nothing deleted): ${foreign.map((object) => `${object.kind} ${object.metadata.name}`).join(', ')} not applied here`);
    this.removals.push([...objects]);
    for (const object of objects) this.applied.splice(indexOf(object), 1);
  }

  private holds(kinds: readonly string[]): boolean {
    return this.applied.some((object) => kinds.includes(object.kind));
  }

  /** A layer probe (core/scene-check/layer-probes.ts) on a healthy stack: denied while its layer's policy kinds are applied. */
  private layerProbe(checkId: string): ScriptedRun | undefined {
    if (checkId === 'layer-cni') return this.holds(['NetworkPolicy', 'CiliumNetworkPolicy', 'GlobalNetworkPolicy']) ? { signal: 'timeout' } : { signal: 'connected', delivers: true, deliversOver: 'tcp' };
    if (checkId === 'layer-mesh') return this.holds(['AuthorizationPolicy']) ? { signal: 'http-403' } : { signal: 'http-ok' };
    return undefined;
  }
  /**
   * A healthy stack under the scene self-test: the flows the stack denies are allowed while only the scene is
   * applied (the first apply) and denied once the policies are; allowed flows pass; DNS and the metadata
   * endpoint reach the sink. Decided at each exec, so one probe pod sees the policies land.
   */
  private sceneProbe(checkId: string): ScriptedRun {
    const phase: ScenePhase = this.applyCalls > 1 ? 'after-policies' : 'before-policies';
    const injected = this.faults.probe?.(checkId, phase);
    if (injected !== undefined) return injected;
    if (checkId === DNS_PROBE.id) return { signal: 'delivered', delivers: true, deliversOver: 'dns' };
    if (checkId === METADATA_PROBE.id) return { signal: 'http-ok', delivers: true };
    const layer = this.layerProbe(checkId);
    if (layer !== undefined) return layer;
    const flow = sceneFlows(stackTraits(this.profile)).find((candidate) => candidate.id === checkId);
    if (flow === undefined) return { signal: 'error', detail: `no scene check ${checkId}` };
    return flow.expect === 'denied' && phase === 'after-policies' ? { signal: 'timeout' } : { signal: 'http-ok' };
  }

  /** The live form: the object as applied, with the mesh's enrolment where a healthy mesh would show it. */
  private healthyLive(sent: KubeObject): KubeObject {
    const live = structuredClone(sent) as KubeObject & { spec?: { initContainers?: unknown[] } };
    if (sent.kind !== 'Pod' || this.profile.mesh === 'none') return live;
    const member = Object.entries(meshMemberLabels(this.profile.mesh));
    const namespace = this.applied.find((object) => object.kind === 'Namespace' && object.metadata.name === sent.metadata.namespace);
    if (namespace === undefined || !member.every(([key, value]) => namespace.metadata.labels?.[key] === value)) return live;
    if (this.profile.mesh === 'istio-sidecar') {
      return { ...live, spec: { ...live.spec, initContainers: [...(live.spec?.initContainers ?? []), { name: ISTIO_PROXY_CONTAINER, restartPolicy: 'Always' }] } };
    }
    return { ...live, metadata: { ...live.metadata, annotations: { ...live.metadata.annotations, [AMBIENT_REDIRECTION_ANNOTATION]: 'enabled' } } };
  }

  async readBack(objects: readonly KubeObject[]): Promise<readonly (KubeObject | undefined)[]> {
    return objects.map((sent) => {
      const applied = this.applied.some((object) => object.kind === sent.kind && object.metadata.name === sent.metadata.name && object.metadata.namespace === sent.metadata.namespace);
      const healthy = applied ? this.healthyLive(sent) : undefined;
      return this.faults.live === undefined ? healthy : this.faults.live(sent, healthy);
    });
  }

  /**
   * The applied ValidatingAdmissionPolicies, evaluated with the same evaluator as the lab (core/admission/) (real semantics, the
   * API server's wording), so a hardened scene's admission self-test sees its policies refuse by name.
   */
  private admissionDenial(pod: V1Pod, requester: CreatePodOptions['requester']): string | undefined {
    if (!this.holds(['ValidatingAdmissionPolicyBinding'])) return undefined;
    const policies = new AdmissionPolicyEvaluator();
    for (const object of this.applied) policies.accept(object);
    const namespace = pod.metadata?.namespace ?? 'default';
    const labels = this.applied.find((object) => object.kind === 'Namespace' && object.metadata.name === namespace)?.metadata.labels ?? {};
    // The API server sets this label on every namespace (NamespaceDefaultLabelName); bindings select by it.
    const decision = policies.admit(pod, namespace, { ...labels, 'kubernetes.io/metadata.name': namespace }, requester);
    return decision.allowed ? undefined : decision.message;
  }

  async createPod(pod: V1Pod, options?: CreatePodOptions): Promise<PodCreation> {
    const name = pod.metadata?.name ?? 'unnamed';
    const checkId = pod.metadata?.labels?.[SCENE_CHECK_LABEL];
    const denial = checkId === undefined ? this.admissionDenial(pod, options?.requester) : undefined;
    if (denial !== undefined) return { status: 'rejected', layer: 'admission', message: denial };
    const scripted: ScriptedRun = checkId === undefined ? this.replay(pod) : checkId === 'layer-admission' && this.holds(['ValidatingAdmissionPolicyBinding']) ? { signal: 'admission-denied', rejectWith: 'memory: denied by the admission policy' } : { signal: 'http-ok' };
    if (scripted.rejectWith !== undefined) return { status: 'rejected', layer: 'admission', message: scripted.rejectWith };
    this.podsCreated.push(name);
    const handle: PodHandle = {
      namespace: pod.metadata?.namespace ?? 'default',
      name,
      ip: '10.244.0.10',
      node: 'memory-worker',
      exec: (command, options) => {
        const stopToken = stopCommandToken(command);
        if (stopToken !== undefined) return Promise.resolve(this.stop(name, stopToken));
        return this.exec(name, checkId === undefined ? scripted : this.sceneProbe(checkId), options);
      },
      logs: async () => this.resultLine(scripted),
      [Symbol.asyncDispose]: async () => {
        this.podsDeleted.push(name);
      },
    };
    return { status: 'running', pod: handle };
  }

  private resultLine(scripted: ScriptedRun, fields: ScriptedRun['fields'] = scripted.fields): string {
    return `BM-RESULT ${JSON.stringify({ ...fields, signal: scripted.signal, exit: 0, detail: scripted.detail ?? '' })}\n`;
  }

  /** A stop exec (stopCommand) in `podName`: its datagram ends the capture there when it carries that capture's token. */
  private stop(podName: string, token: string): ExecResult {
    const capture = this.openCaptures.get(podName);
    const matched = capture !== undefined && capture.token === token;
    this.stopsSent.push({ pod: podName, token, matched });
    if (matched) capture.end();
    // A datagram is sent either way; a capture with another token ignores it.
    return { exitCode: 0, stdout: '', stderr: '', timedOut: false, durationMs: 0 };
  }

  private async exec(podName: string, scripted: ScriptedRun, options: ExecOptions): Promise<ExecResult> {
    this.running += 1;
    this.maxConcurrentScripts = Math.max(this.maxConcurrentScripts, this.running);
    const started = performance.now();
    this.scriptsRun.push(podName);
    this.scriptEnv.set(podName, options.env ?? {});
    const canary = options.env?.CANARY;
    if (canary !== undefined && PASS_SIGNALS.has(scripted.signal)) this.canarySent.push({ canary, pod: podName, at: started + (scripted.sendsAfterMs ?? 0) });
    let endCapture = (): void => {};
    const ended = new Promise<void>((resolve) => (endCapture = resolve));
    try {
      const streams = [...(scripted.streams ?? []), ...(scripted.capture === undefined ? [] : [{ atMs: scripted.capture.opensAfterMs, line: CAPTURE_OPEN_LINE }])];
      let stdout = '';
      let opened: number | undefined;
      for (const { atMs, line } of streams.sort((a, b) => a.atMs - b.atMs)) {
        await sleep(Math.max(0, started + atMs - performance.now()));
        // The capture is open from the moment it says so (timers round, so not from `atMs`).
        if (scripted.capture !== undefined && line === CAPTURE_OPEN_LINE) {
          opened ??= performance.now();
          this.openCaptures.set(podName, { token: options.env?.CAPTURE_STOP_TOKEN, end: endCapture });
        }
        stdout += `${line}\n`;
        options.onStdout?.(Buffer.from(`${line}\n`));
      }
      const stopped = new AbortController();
      const bound = sleep(Math.max(0, started + (scripted.delayMs ?? 0) - performance.now()), undefined, { signal: stopped.signal }).catch(() => undefined);
      if (opened !== undefined) await Promise.race([bound, ended]);
      else await bound;
      stopped.abort();
      const closed = performance.now();
      this.openCaptures.delete(podName);
      this.evidence.set(podName, scripted.evidence ?? []);
      if (scripted.delivers === true && canary !== undefined) {
        this.sink.push({ canary, protocol: scripted.deliversOver ?? 'http', from: '10.244.0.10', at: new Date().toISOString() });
      }
      const heard = opened !== undefined && this.canarySent.some((sent) => sent.canary === canary && sent.pod !== podName && sent.at >= opened && sent.at <= closed);
      const fields = scripted.capture === undefined ? scripted.fields : { ...scripted.fields, canary_seen: heard ? 1 : 0 };
      return { exitCode: 0, stdout: stdout + this.resultLine(scripted, fields), stderr: '', timedOut: false, durationMs: performance.now() - started };
    } finally {
      this.openCaptures.delete(podName);
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

function sameObject(a: KubeObject, b: KubeObject): boolean {
  return a.apiVersion === b.apiVersion && a.kind === b.kind && a.metadata.name === b.metadata.name && a.metadata.namespace === b.metadata.namespace;
}

/** A provider over MemoryCluster, for runner tests. */
export function memoryProvider(replay: Replay, created: MemoryCluster[] = [], faults: MemorySceneFaults = {}): ClusterProvider & { readonly created: MemoryCluster[] } {
  return {
    name: 'lab',
    created,
    preflight: async () => {},
    create: async (profile) => {
      const cluster = new MemoryCluster(profile, replay, faults);
      created.push(cluster);
      return cluster;
    },
  };
}
