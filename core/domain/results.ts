import type { AttackFamily, Reference } from './attack.ts';
import type { Cell } from './cell.ts';
import type { ComponentVersions, Mesh, Cni, ProviderName } from './profile.ts';
import type { SceneSelfTestLine } from './scene-self-test.ts';

/**
 * results.jsonl is the run's durable record: a `run` header, one `cell` line per finished cell (appended the
 * moment it is known), `profile-error` lines for infrastructure failures, a `scene` line per profile (its scene
 * self-test table, before any of its cells), and an `end` line unless the process
 * died. Reports are always re-rendered from it, so an interrupted run keeps every finished cell.
 */
export const RESULTS_SCHEMA_VERSION = 2 as const;
/**
 * Versions a reader accepts. 2 added the attempt's `flow` and the control's path (`kind`, `from`, `to`, `port`,
 * `protocol`, `result`); a version-1 cell reads as it was, without them.
 */
export const READABLE_SCHEMA_VERSIONS = [1, 2] as const;
export type ReadableSchemaVersion = (typeof READABLE_SCHEMA_VERSIONS)[number];

export interface ProfileSummary {
  readonly id: string;
  readonly cni: Cni;
  readonly mesh: Mesh;
  readonly versions: ComponentVersions;
  readonly provider: ProviderName;
  /** True for lab stacks: results describe the lab's model of each layer. */
  readonly isLab: boolean;
}

export interface AttackSummary {
  readonly id: string;
  readonly family: AttackFamily;
  readonly title: string;
  readonly technique: string;
  readonly references: readonly Reference[];
}

export interface RunHeaderLine {
  readonly type: 'run';
  readonly schemaVersion: ReadableSchemaVersion;
  readonly runId: string;
  readonly harnessVersion: string;
  readonly provider: ProviderName;
  readonly startedAt: string;
  readonly profiles: readonly ProfileSummary[];
  readonly attacks: readonly AttackSummary[];
}

export interface CellLine {
  readonly type: 'cell';
  readonly cell: Cell;
}

export interface ProfileErrorLine {
  readonly type: 'profile-error';
  readonly runId: string;
  readonly profileId: string;
  readonly component: string;
  readonly message: string;
  readonly at: string;
}

export interface RunEndLine {
  readonly type: 'end';
  readonly runId: string;
  readonly finishedAt: string;
  readonly interrupted: boolean;
}

/** `scene` lines (one per provisioned profile, before its cells) are optional: older results have none. */
export type ResultLine = RunHeaderLine | CellLine | ProfileErrorLine | SceneSelfTestLine | RunEndLine;
