import type { V1Pod } from '@kubernetes/client-node';
import type { PodRequester } from './cluster.ts';
import type { ControlPlan } from './control.ts';
import type { FlowDescriptor } from './evidence.ts';
import type { BlockingLayer } from './layer.ts';
import type { Cni, Mesh, StackTraits } from './profile.ts';
import type { ClientSignal } from './signal.ts';
import type { SceneAddresses } from './scene-addresses.ts';

export const ATTACK_FAMILIES = [
  'sidecar-bypass',
  'ambient-bypass',
  'egress-exfiltration',
  'host-network',
  'lateral-movement',
  'mtls-identity',
  'admission',
  'eavesdropping',
] as const;
export type AttackFamily = (typeof ATTACK_FAMILIES)[number];

/**
 * How sure the catalogue is of a predicted outcome: `documented` (an upstream page, issue or source file says so),
 * `inferred` (follows from documented behaviour, not stated), `version-dependent` (holds for some releases).
 */
export type Certainty = 'documented' | 'inferred' | 'version-dependent';

export interface Reference {
  readonly title: string;
  /** A documentation page, issue or source path. */
  readonly url: string;
}

/** How bad it is when the attack works, most severe first. */
export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** An attack's severity and the one-line reason for it. */
export interface SeverityRating {
  readonly level: Severity;
  readonly reason: string;
}

/** Where a fix lives: an enforcement layer, or the cluster's DNS resolver (which no layer here measures). */
export type FixLayer = BlockingLayer | 'cluster-dns';

/** What would close an attack on a stack where it gets through: the layer, its feature and the policy, with a source. */
export interface Fix {
  readonly layer: FixLayer;
  /** The product feature that does it, e.g. `CiliumNetworkPolicy toFQDNs (matchPattern)`. */
  readonly feature: string;
  /** The policy to write, in a sentence. */
  readonly policy: string;
  readonly source: Reference;
}

/** What a fix depends on: the stack's CNI and mesh (a report's profile has both). */
export interface FixTarget {
  readonly cni: Cni;
  readonly mesh: Mesh;
}

/** What should happen to an attack on a stack, and why we think so. */
export interface Expectation {
  readonly outcome: 'allowed' | 'blocked' | 'not-applicable';
  /** Required when outcome is `blocked`. */
  readonly blockedBy?: BlockingLayer;
  /** The client signal we expect to see, when the claim is that specific (e.g. `timeout` for a CNI drop). */
  readonly signal?: ClientSignal;
  readonly certainty: Certainty;
  /** Where the claim comes from: a doc, issue or source reference, short. */
  readonly source: string;
  readonly note?: string;
}

/** Everything an attack needs to build its attempt on one stack, known after the scene is up. */
export interface AttemptContext {
  readonly stack: StackTraits;
  /** Unique per attempt; the sink records it, evidence is matched by it. */
  readonly canary: string;
  readonly addresses: SceneAddresses;
}

/** How the script runs inside the pod. */
export type ScriptPlacement = 'exec' | 'init-container';

/** One concrete thing to run: a pod (attacker or control client) and the script executed in it. */
export interface AttemptPlan {
  /** The pod to create. Its namespace and name come from the scene builders in `manifests/`. */
  readonly pod: V1Pod;
  /** Script file name under `attack-pods/scripts/` (POSIX sh), e.g. `http-probe.sh`. */
  readonly script: string;
  /** Environment the script reads (TARGET_URL, CANARY, CONNECT_TIMEOUT, …). */
  readonly env: Readonly<Record<string, string>>;
  readonly placement: ScriptPlacement;
  /** The flow this run makes, for matching layer records. */
  readonly flow: FlowDescriptor;
  /** Who creates the pod; the harness (the scene's deployer) unless the attack's attacker is someone else. */
  readonly requester?: PodRequester;
}

/**
 * How the runner decides that the attack worked.
 * - `sink-canary`: only when the sink recorded this attempt's canary (exfiltration).
 * - `client-signal`: the client signal alone (reaching an in-cluster target, admission).
 * - `packet-capture`: the attempt is a sniffer; it worked when its capture holds the canary that a permitted client
 *   (the attack's `victim`) sent meanwhile, in plaintext (eavesdropping).
 */
export type SuccessCriterion = 'sink-canary' | 'client-signal' | 'packet-capture';

export interface AttackDefinition {
  readonly id: string;
  readonly family: AttackFamily;
  readonly title: string;
  /** Attacker pod settings and commands, in a sentence or two. */
  readonly technique: string;
  readonly preconditions: readonly string[];
  readonly references: readonly Reference[];
  readonly success: SuccessCriterion;
  /** Undefined when the attack applies to the stack; otherwise the reason it does not. */
  notApplicable(stack: StackTraits): string | undefined;
  /** The attack itself. */
  attempt(context: AttemptContext): AttemptPlan;
  /**
   * The positive control on the attempt's own path: a permitted client to the attempt's destination, address,
   * port and protocol (`same-destination`), or the attempt's pod minus the technique to a permitted destination
   * over the same protocol (`same-source`). It must pass for any `blocked` verdict.
   */
  control(context: AttemptContext): ControlPlan;
  expect(stack: StackTraits): Expectation;
  /**
   * For `packet-capture` attacks (required there, absent elsewhere): the permitted client whose traffic, carrying
   * the attempt's canary, the sniffer tries to read. It runs while the capture does.
   */
  victim?(context: AttemptContext): AttemptPlan;
  readonly severity: SeverityRating;
  /** What would close the attack on this stack; at least one wherever it is expected or observed `allowed`. */
  fixes(stack: FixTarget): readonly Fix[];
}
