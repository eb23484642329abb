import type { V1Pod } from '@kubernetes/client-node';
import type { EvidenceItem, FlowDescriptor, TimeWindow } from './evidence.ts';
import type { Layer } from './layer.ts';
import type { DestinationLiveness } from './liveness.ts';
import type { Profile, ProviderName } from './profile.ts';
import type { SceneAddresses } from './scene-addresses.ts';

/** Any Kubernetes object (core kinds or CRDs) as plain data, the way server-side apply takes it. */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  readonly [field: string]: unknown;
}

export interface ExecOptions {
  readonly timeoutMs: number;
  readonly env?: Readonly<Record<string, string>>;
  readonly container?: string;
  /**
   * Receives the command's stdout as it arrives, while the command still runs (core/domain/running-exec.ts waits
   * for a marker line on it). The result still carries the whole stdout.
   */
  readonly onStdout?: (chunk: Uint8Array) => void;
}

export interface ExecResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  /** True when the deadline killed the command. */
  readonly timedOut: boolean;
  readonly durationMs: number;
}

/** A created pod; disposing it deletes the pod. */
export interface PodHandle extends AsyncDisposable {
  readonly namespace: string;
  readonly name: string;
  readonly ip: string;
  readonly node: string;
  exec(command: readonly string[], options: ExecOptions): Promise<ExecResult>;
  /** Logs of one container (init containers included), e.g. the output of an init-container attack. */
  logs(container: string): Promise<string>;
}

/**
 * Who asks for a pod: `harness` — the identity the scene is deployed with (the default); `pod-creator` — a user
 * who may only create pods in bm-app (manifests/scene.ts `requesters`), for attacks whose attacker is someone other
 * than the workload's deployer. Admission sees it as `request.userInfo`.
 */
export type PodRequester = 'harness' | 'pod-creator';

export interface CreatePodOptions {
  readonly timeoutMs: number;
  readonly requester?: PodRequester;
}

export type PodCreation =
  | { readonly status: 'running'; readonly pod: PodHandle }
  /** Admission refused the pod; `message` is the API server's (or lab PSA's) text, verbatim. */
  | { readonly status: 'rejected'; readonly layer: Extract<Layer, 'admission'>; readonly message: string };

export interface EvidenceQuery {
  readonly window: TimeWindow;
  readonly flow: FlowDescriptor;
}

export interface SinkRecord {
  readonly canary: string;
  readonly protocol: 'http' | 'tcp' | 'udp' | 'icmp' | 'dns';
  readonly from: string;
  readonly at: string;
}

/**
 * The only way suites, attacks and reports touch a cluster. Providers (kind, lab, kubeconfig, and the
 * in-memory one used by the project's own tests) implement it; nothing above this interface knows which.
 */
export interface Cluster extends AsyncDisposable {
  readonly name: string;
  readonly provider: ProviderName;
  readonly profile: Profile;
  /** Server-side apply (kind) or the lab's interpretation of the same objects. */
  apply(objects: readonly KubeObject[]): Promise<void>;
  /**
   * The live form of each object, in the order given (undefined where the cluster holds none): what the API
   * server stores (kube), or the lab's interpretation of the object as applied. The scene self-test checks it
   * contains every field that was sent, and reads mesh enrolment (injected proxy, ambient redirection) from it.
   */
  readBack(objects: readonly KubeObject[]): Promise<readonly (KubeObject | undefined)[]>;
  /**
   * Depth on kube providers deletes a layer's policy objects for a pass and applies them again after it. Deletes
   * exactly these objects as this cluster applied them in this run — each by the uid its apply returned, with that
   * uid as the delete's precondition, and only if it still carries the managed-by label — then waits until each
   * reads back absent. Throws, deleting nothing, when any of them was not applied here. Providers that ablate on
   * clusters of their own (the lab) do not implement it.
   */
  removeApplied?(objects: readonly KubeObject[]): Promise<void>;
  /** Create a pod and wait until it runs (init containers completed), or report admission's refusal. */
  createPod(pod: V1Pod, options: CreatePodOptions): Promise<PodCreation>;
  addresses(): Promise<SceneAddresses>;
  /** Read each layer's own record for the window and the flow; parsed, never the client's view. */
  collectEvidence(query: EvidenceQuery): Promise<readonly EvidenceItem[]>;
  /** What the exfiltration sink received carrying this canary. */
  sinkReceived(canary: string): Promise<readonly SinkRecord[]>;
  /**
   * Whether the flow's destination side (its pods' app and proxy processes or containers, the sink, a node) was
   * alive for the whole window: asked before any `blocked` verdict is recorded.
   */
  destinationLiveness(flow: FlowDescriptor, window: TimeWindow): Promise<DestinationLiveness>;
  /** Remove everything the provider made. Idempotent. */
  teardown(): Promise<void>;
}

/** Creates clusters for profiles. */
export interface ClusterProvider {
  readonly name: ProviderName;
  /** Exit-2 style problems (missing tools, not root) are thrown as BadInputError before anything is made. */
  preflight(): Promise<void>;
  create(profile: Profile, options: ClusterCreateOptions): Promise<Cluster>;
}

export interface ClusterCreateOptions {
  readonly runId: string;
  /** Progress lines for the terminal (provisioning steps). */
  readonly onProgress: (step: string) => void;
  readonly signal?: AbortSignal;
  /**
   * Where a provider registers a synchronous teardown as soon as it starts making things, so a second Ctrl-C
   * (which cannot wait for async work) still removes them. Absent when clusters are to be kept.
   */
  readonly syncTeardowns?: SyncTeardownRegistry;
}

/** Synchronous last-resort teardowns, run by the CLI on a second interrupt right before it exits. */
export interface SyncTeardownRegistry {
  /** Registers `teardown` under `label`; the returned function unregisters it. */
  add(label: string, teardown: () => void): () => void;
}
