import type { Cell } from '../core/domain/cell.ts';
import type { AttackSummary, ProfileErrorLine, ProfileSummary, RunEndLine, RunHeaderLine } from '../core/domain/results.ts';
import type { ProviderName } from '../core/domain/profile.ts';
import type { SceneSelfTestLine } from '../core/domain/scene-self-test.ts';

/** One results.jsonl, parsed and validated. */
export interface ResultsFile {
  readonly file: string;
  readonly header: RunHeaderLine;
  readonly cells: readonly Cell[];
  readonly profileErrors: readonly ProfileErrorLine[];
  /** Scene self-test tables (one per provisioned profile; none in results written before the self-test existed). */
  readonly sceneTests: readonly SceneSelfTestLine[];
  /** Depth passes' self-tests (`scene` lines with `pass`), in file order; kept apart so a pass never stands for its profile. */
  readonly passSceneTests?: readonly SceneSelfTestLine[];
  /** Absent when the process died before writing it. */
  readonly end?: RunEndLine;
  /** No `end` line, or an `end` line saying so. */
  readonly interrupted: boolean;
  /** Things tolerated while reading (e.g. a torn last line of an interrupted run). */
  readonly warnings: readonly string[];
}

/** One or more results files merged: what every reporter renders. */
export interface RunResults {
  readonly files: readonly string[];
  readonly runs: readonly RunSummary[];
  readonly providers: readonly ProviderName[];
  readonly profiles: readonly ProfileSummary[];
  readonly attacks: readonly AttackSummary[];
  /** The latest cell per (profileId, attackId). */
  readonly cells: readonly Cell[];
  readonly profileErrors: readonly ProfileErrorLine[];
  /** The latest scene self-test per profile. */
  readonly sceneTests: readonly SceneSelfTestLine[];
  /** Every depth pass's self-test of every file (`scene` lines with `pass`). */
  readonly passSceneTests?: readonly SceneSelfTestLine[];
  readonly startedAt: string;
  /** The latest `end` line, or the latest cell's finish when no run ended. */
  readonly finishedAt: string;
  readonly interrupted: boolean;
  readonly warnings: readonly string[];
}

export interface RunSummary {
  readonly runId: string;
  readonly file: string;
  readonly harnessVersion: string;
  readonly provider: ProviderName;
  readonly startedAt: string;
  readonly finishedAt?: string;
  readonly interrupted: boolean;
}

export function cellKey(profileId: string, attackId: string): string {
  return `${profileId}\u0000${attackId}`;
}
