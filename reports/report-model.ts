import { ATTACK_FAMILIES, type AttackFamily } from '../core/domain/attack.ts';
import { OUTCOMES, isUnexpected, type Cell, type Outcome } from '../core/domain/cell.ts';
import type { AttackSummary, ProfileErrorLine, ProfileSummary } from '../core/domain/results.ts';
import type { SceneSelfTestLine } from '../core/domain/scene-self-test.ts';
import { cellKey, type RunResults } from './run-results.ts';

/** A cell of the matrix that has no result: the run was interrupted or its profile failed. */
export type MatrixState = Outcome | 'missing';
export const MATRIX_STATES: readonly MatrixState[] = [...OUTCOMES, 'missing'];

export type OutcomeCounts = Readonly<Record<MatrixState, number>>;

export interface AttackRow {
  readonly attack: AttackSummary;
  /** Aligned with `ReportModel.profiles`; undefined where no cell was recorded. */
  readonly cells: readonly (Cell | undefined)[];
}

export interface FamilyGroup {
  readonly family: AttackFamily;
  readonly rows: readonly AttackRow[];
}

export interface ReportModel {
  readonly results: RunResults;
  /** Matrix columns, in the order the headers listed them. */
  readonly profiles: readonly ProfileSummary[];
  /** Matrix rows grouped by family in ATTACK_FAMILIES order; empty families are left out. */
  readonly families: readonly FamilyGroup[];
  readonly counts: OutcomeCounts;
  readonly countsByProfile: ReadonlyMap<string, OutcomeCounts>;
  /** Measured cells whose observation differs from the expectation, in matrix order (never `not-run`). */
  readonly unexpected: readonly Cell[];
  /** The unexpected cells that are not explained by their profile's failure banner. */
  readonly unexpectedOutsideBanners: readonly Cell[];
  readonly profileErrors: ReadonlyMap<string, readonly ProfileErrorLine[]>;
  /** Each profile's scene self-test, where the results have one. */
  readonly sceneTests: ReadonlyMap<string, SceneSelfTestLine>;
  /** Some columns come from the lab provider: they describe the lab's model of each layer. */
  readonly hasLab: boolean;
  cell(profileId: string, attackId: string): Cell | undefined;
}

/**
 * A cell the runner wrote because its profile never came up (no attempt made): the profile's banner explains it,
 * so reports say "see banner" instead of repeating the failure in every row.
 */
export function isFailedProfileCell(cell: Cell | undefined | null, profileErrors: readonly ProfileErrorLine[] | undefined): boolean {
  return cell !== undefined && cell !== null && cell.outcome === 'error' && cell.attempts === 0 && (profileErrors?.length ?? 0) > 0;
}

export function matrixState(cell: Cell | undefined): MatrixState {
  return cell === undefined ? 'missing' : cell.outcome;
}

function emptyCounts(): Record<MatrixState, number> {
  return Object.fromEntries(MATRIX_STATES.map((state) => [state, 0])) as Record<MatrixState, number>;
}

export function buildReportModel(results: RunResults): ReportModel {
  const byKey = new Map(results.cells.map((cell) => [cellKey(cell.profileId, cell.attackId), cell]));
  const lookup = (profileId: string, attackId: string): Cell | undefined => byKey.get(cellKey(profileId, attackId));
  const profiles = results.profiles;

  const families: FamilyGroup[] = [];
  for (const family of ATTACK_FAMILIES) {
    const rows = results.attacks
      .filter((attack) => attack.family === family)
      .map((attack): AttackRow => ({ attack, cells: profiles.map((profile) => lookup(profile.id, attack.id)) }));
    if (rows.length > 0) families.push({ family, rows });
  }

  const counts = emptyCounts();
  const countsByProfile = new Map(profiles.map((profile) => [profile.id, emptyCounts()]));
  const unexpected: Cell[] = [];
  for (const group of families) {
    for (const row of group.rows) {
      row.cells.forEach((cell, index) => {
        const state = matrixState(cell);
        counts[state] += 1;
        const profile = profiles[index];
        const perProfile = profile === undefined ? undefined : countsByProfile.get(profile.id);
        if (perProfile !== undefined) perProfile[state] += 1;
        if (cell !== undefined && isUnexpected(cell)) unexpected.push(cell);
      });
    }
  }

  const profileErrors = new Map<string, ProfileErrorLine[]>();
  for (const error of results.profileErrors) {
    const list = profileErrors.get(error.profileId) ?? [];
    list.push(error);
    profileErrors.set(error.profileId, list);
  }

  return {
    results,
    profiles,
    families,
    counts,
    countsByProfile,
    unexpected,
    unexpectedOutsideBanners: unexpected.filter((cell) => !isFailedProfileCell(cell, profileErrors.get(cell.profileId))),
    profileErrors,
    sceneTests: new Map((results.sceneTests ?? []).map((scene) => [scene.profileId, scene])),
    hasLab: profiles.some((profile) => profile.isLab),
    cell: lookup,
  };
}
