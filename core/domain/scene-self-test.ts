/**
 * The scene self-test: before any attack, the run proves the scene is what the harness thinks it is (baseline
 * flows, DNS to the sink, the metadata emulation, mesh enrolment, a read-back of every applied object). Each
 * check is one row; a profile whose self-test fails runs no attack and its cells are `error`.
 */
export const SCENE_CHECK_KINDS = ['allowed-flow', 'denied-flow', 'allowed-before-policies', 'dns', 'metadata', 'mesh-enrolment', 'read-back', 'admission-policy'] as const;
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

/** One profile's self-test, as written to results.jsonl (`type: 'scene'`). */
export interface SceneSelfTestLine {
  readonly type: 'scene';
  readonly runId: string;
  readonly profileId: string;
  readonly checks: readonly SceneCheck[];
  readonly passed: boolean;
  readonly durationMs: number;
  readonly at: string;
}

export function failedChecks(checks: readonly SceneCheck[]): readonly SceneCheck[] {
  return checks.filter((check) => !check.passed);
}
