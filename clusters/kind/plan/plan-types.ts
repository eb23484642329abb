import type { KubeObject } from '../../../core/domain/cluster.ts';
import type { Profile } from '../../../core/domain/profile.ts';

/**
 * When a step runs. The provider runs `cluster` and `side-containers` first, learns the sink's address,
 * then runs `stack` and `scene` (the CoreDNS patch needs the sink IP).
 */
export type PlanPhase = 'cluster' | 'side-containers' | 'stack' | 'scene';

/** Which part of the stack a step belongs to, named in progress lines and failures. */
export type Component =
  | 'kind'
  | 'images'
  | 'sink'
  | 'metadata'
  | 'registry-cache'
  | 'calico'
  | 'cilium'
  | 'flannel'
  | 'coredns'
  | 'gateway-api'
  | 'istio-base'
  | 'istiod'
  | 'istio-cni'
  | 'ztunnel'
  | 'waypoint'
  | 'scene'
  | 'policies';

interface StepBase {
  readonly phase: PlanPhase;
  readonly component: Component;
}

/** A CLI call; args are exact, relative paths resolve against the plan directory (the working directory). */
export interface ExecStep extends StepBase {
  readonly kind: 'exec';
  readonly tool: 'kind' | 'helm' | 'docker';
  readonly args: readonly string[];
}

/** Server-side apply (field manager `breachmatrix`) of objects, also written to `file` in the plan directory. */
export interface ApplyStep extends StepBase {
  readonly kind: 'apply';
  readonly file: string;
  readonly objects: readonly KubeObject[];
  /** Take over fields another manager owns (e.g. kubeadm's CoreDNS ConfigMap). */
  readonly force: boolean;
}

export interface WaitTarget {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
}

/**
 * `rollout`: a DaemonSet/Deployment has every replica updated and ready; `Succeeded`: a Pod's phase (a probe that
 * ran to success); otherwise a status condition.
 */
export type WaitCondition = 'Established' | 'Available' | 'Programmed' | 'rollout' | 'Succeeded';

export interface WaitStep extends StepBase {
  readonly kind: 'wait';
  readonly what: WaitTarget;
  readonly condition: WaitCondition;
  readonly timeoutMs: number;
}

/** A side container on the `kind` Docker network, started with testcontainers. */
export interface ContainerStep extends StepBase {
  readonly kind: 'container';
  readonly name: string;
  readonly image: string;
  readonly network: 'kind';
  readonly labels: Readonly<Record<string, string>>;
  readonly env: Readonly<Record<string, string>>;
  /** Overrides the image's command; empty: the image default. */
  readonly command: readonly string[];
  /** Kept across runs (the registry cache); otherwise removed at teardown. */
  readonly reuse: boolean;
}

export type PlanStep = ExecStep | ApplyStep | WaitStep | ContainerStep;

export interface PlanFile {
  /** Relative to the plan directory. */
  readonly path: string;
  readonly content: string;
}

export interface KindPlan {
  readonly profile: Profile;
  readonly versionSet: string;
  readonly clusterName: string;
  readonly nodeImage: string;
  /** kubeconfig file the plan's commands use, relative to the plan directory. */
  readonly kubeconfig: string;
  readonly files: readonly PlanFile[];
  readonly steps: readonly PlanStep[];
}

/** What an installer contributes: its steps in order and the files they read. */
export interface InstallerPart {
  readonly steps: readonly PlanStep[];
  readonly files: readonly PlanFile[];
}
