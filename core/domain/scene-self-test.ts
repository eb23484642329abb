import type { PolicyGroup } from './depth.ts';

/**
 * The scene self-test: before any attack, the run proves the scene is what the harness thinks it is (baseline
 * flows, DNS to the sink, the metadata emulation, mesh enrolment, a read-back of every applied object). Each
 * check is one row; a profile whose self-test fails runs no attack and its cells are `error`.
 */
export const SCENE_CHECK_KINDS = ['allowed-flow', 'denied-flow', 'allowed-before-policies', 'dns', 'metadata', 'mesh-enrolment', 'read-back', 'admission-policy', 'absent', 'layer-probe'] as const;
export type SceneCheckKind = (typeof SCENE_CHECK_KINDS)[number];

export interface SceneCheck {
  /** Stable and unique within a profile, e.g. `deny intruder → api:8080/http`. */
  readonly name: string;
  readonly kind: SceneCheckKind;
  readonly expected: string;
  readonly observed: string;
  /** Probes or reads it took (a read-back counts one). */
  readonly tries: number;
  readonly passed: boolean;
  readonly detail: string;
}

/**
 * Which depth pass a self-test belongs to. `policies` is the group the pass kept (as in a cell's `depth.layers`);
 * `phase` says how it came to be: `fresh-cluster` (the lab: a cluster of its own with only that group applied),
 * `ablated` (kube: the other groups' policy objects deleted from the run's cluster) or `restored` (kube: those
 * objects applied again, the full stack proven back before anything else runs on it).
 */
export interface ScenePass {
  readonly policies: PolicyGroup;
  readonly phase: 'fresh-cluster' | 'ablated' | 'restored';
  /** The objects the pass deleted (ablated) or applied again (restored), as `Kind namespace/name`. */
  readonly objects?: readonly string[];
}

/**
 * One profile's self-test, as written to results.jsonl (`type: 'scene'`). A line without `pass` is the profile's
 * own (baseline) self-test, one per profile; a line with `pass` belongs to a depth pass (schema 2 still: older
 * files have no such lines and read as before, and a reader that ignores `pass` lines sees what it always saw).
 */
export interface SceneSelfTestLine {
  readonly type: 'scene';
  readonly runId: string;
  readonly profileId: string;
  readonly pass?: ScenePass;
  readonly checks: readonly SceneCheck[];
  readonly passed: boolean;
  readonly durationMs: number;
  readonly at: string;
}

export function failedChecks(checks: readonly SceneCheck[]): readonly SceneCheck[] {
  return checks.filter((check) => !check.passed);
}
