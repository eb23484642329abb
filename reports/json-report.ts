import type { AttackFamily, Expectation, Fix, Reference, SeverityRating } from '../core/domain/attack.ts';
import type { Cell } from '../core/domain/cell.ts';
import type { ComponentVersions, Cni, Mesh, ProviderName } from '../core/domain/profile.ts';
import type { ProfileErrorLine } from '../core/domain/results.ts';
import type { SceneCheck } from '../core/domain/scene-self-test.ts';
import { attackSeverity, cellFixes } from './attack-advice.ts';
import { profileDepth, singlePointsOfFailure, type ProfileDepth, type SinglePointOfFailure } from './depth-summary.ts';
import { expectedText, observedText } from './cell-label.ts';
import type { OutcomeCounts, ReportModel } from './report-model.ts';
import type { RunSummary } from './run-results.ts';
import { scoreText } from './state-labels.ts';

/** Bump on any incompatible change of report.json; reports/report.schema.json describes this version. */
export const REPORT_SCHEMA_VERSION = 2;

export const LAB_NOTE =
  'Columns from the lab provider describe the lab\'s model of each layer (nftables for NetworkPolicy, Istio\'s capture rules with an HAProxy sidecar, ambient in-pod rules with a per-pod ztunnel stand-in), not the real CNI or mesh.';

export interface JsonReport {
  readonly schemaVersion: typeof REPORT_SCHEMA_VERSION;
  readonly generatedAt: string;
  readonly harness: { readonly version: string; readonly runVersions: readonly string[] };
  readonly providers: readonly { readonly name: ProviderName; readonly isLab: boolean }[];
  /** Present when any column comes from the lab provider. */
  readonly labNote?: string;
  readonly sources: readonly string[];
  readonly runs: readonly RunSummary[];
  readonly interrupted: boolean;
  readonly warnings: readonly string[];
  readonly profiles: readonly JsonProfile[];
  readonly attacks: readonly JsonAttack[];
  /** Rows grouped by family; each row has one entry per profile id (null: not run). */
  readonly matrix: readonly JsonFamily[];
  readonly counts: OutcomeCounts;
  readonly unexpected: readonly JsonUnexpected[];
  /** Present when the run measured depth (`run --depth`): cells only one policy group stops on its own. */
  readonly singlePointsOfFailure?: readonly SinglePointOfFailure[];
  readonly timings: JsonTimings;
}

export interface JsonProfile {
  readonly id: string;
  readonly cni: Cni;
  readonly mesh: Mesh;
  readonly provider: ProviderName;
  readonly isLab: boolean;
  readonly versions: ComponentVersions;
  readonly counts: OutcomeCounts;
  /** The score row: `30 blocked · 5 allowed · 0 inconclusive · 8 n/a · 0 error` (+ other states when present). */
  readonly score: string;
  /** The profile failed (see `errors`, shown as one banner); its cells without an attempt say "see banner". */
  readonly failed: boolean;
  readonly errors: readonly ProfileErrorLine[];
  /** Optional: absent where the results hold no self-test (runs made before it existed). */
  readonly sceneSelfTest?: JsonSceneSelfTest;
  /** Optional: present when the stack's cells carry depth by ablation (mean depth, single points of failure). */
  readonly depth?: ProfileDepth;
}

export interface JsonSceneSelfTest {
  readonly passed: boolean;
  readonly durationMs: number;
  readonly at: string;
  readonly checks: readonly SceneCheck[];
}

export interface JsonAttack {
  readonly id: string;
  readonly family: AttackFamily;
  readonly title: string;
  readonly technique: string;
  readonly references: readonly Reference[];
  /** From the catalogue; absent for an attack this version does not know. */
  readonly severity?: SeverityRating;
}

export interface JsonRow {
  readonly attackId: string;
  readonly cells: Readonly<Record<string, Cell | null>>;
  /** What would close the attack, per profile id, for the ALLOWED cells only (no key: not allowed or no advice). */
  readonly fixes: Readonly<Record<string, readonly Fix[]>>;
}

export interface JsonFamily {
  readonly family: AttackFamily;
  readonly rows: readonly JsonRow[];
}

export interface JsonUnexpected {
  readonly profileId: string;
  readonly attackId: string;
  readonly expected: string;
  readonly observed: string;
  readonly expectation: Expectation;
}

export interface JsonTimings {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
  readonly cells: number;
  readonly controlMs: number;
  readonly attemptMs: number;
  readonly evidenceMs: number;
}

export interface JsonReportOptions {
  readonly harnessVersion: string;
  readonly generatedAt?: Date;
}

function countsOf(model: ReportModel, profileId: string): OutcomeCounts {
  const counts = model.countsByProfile.get(profileId);
  if (counts === undefined) throw new Error(`report model has no counts for profile ${profileId}`);
  return counts;
}

function sceneSelfTestOf(model: ReportModel, profileId: string): { sceneSelfTest?: JsonSceneSelfTest } {
  const scene = model.sceneTests.get(profileId);
  return scene === undefined ? {} : { sceneSelfTest: { passed: scene.passed, durationMs: scene.durationMs, at: scene.at, checks: scene.checks } };
}

function depthOf(cells: readonly Cell[]): { depth?: ProfileDepth } {
  const depth = profileDepth(cells);
  return depth === undefined ? {} : { depth };
}

export function buildJsonReport(model: ReportModel, options: JsonReportOptions): JsonReport {
  const { results } = model;
  const providers = results.providers.map((name) => ({ name, isLab: name === 'lab' }));
  const cells = results.cells;
  const sum = (pick: (cell: Cell) => number): number => cells.reduce((total, cell) => total + pick(cell), 0);
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    generatedAt: (options.generatedAt ?? new Date()).toISOString(),
    harness: { version: options.harnessVersion, runVersions: [...new Set(results.runs.map((run) => run.harnessVersion))] },
    providers,
    ...(model.hasLab ? { labNote: LAB_NOTE } : {}),
    sources: results.files,
    runs: results.runs,
    interrupted: results.interrupted,
    warnings: results.warnings,
    profiles: model.profiles.map((profile) => ({
      id: profile.id,
      cni: profile.cni,
      mesh: profile.mesh,
      provider: profile.provider,
      isLab: profile.isLab,
      versions: profile.versions,
      counts: countsOf(model, profile.id),
      score: scoreText(countsOf(model, profile.id)),
      failed: (model.profileErrors.get(profile.id)?.length ?? 0) > 0,
      errors: model.profileErrors.get(profile.id) ?? [],
      ...sceneSelfTestOf(model, profile.id),
      ...depthOf(cells.filter((cell) => cell.profileId === profile.id)),
    })),
    attacks: model.families.flatMap((group) =>
      group.rows.map(({ attack }) => {
        const severity = attackSeverity(attack.id);
        return { id: attack.id, family: attack.family, title: attack.title, technique: attack.technique, references: attack.references, ...(severity === undefined ? {} : { severity }) };
      }),
    ),
    matrix: model.families.map((group) => ({
      family: group.family,
      rows: group.rows.map((row) => ({
        attackId: row.attack.id,
        cells: Object.fromEntries(model.profiles.map((profile, index) => [profile.id, row.cells[index] ?? null])),
        fixes: Object.fromEntries(
          model.profiles
            .map((profile, index) => [profile.id, cellFixes(row.cells[index], profile)] as const)
            .filter(([, fixes]) => fixes.length > 0),
        ),
      })),
    })),
    counts: model.counts,
    unexpected: model.unexpected.map((cell) => ({
      profileId: cell.profileId,
      attackId: cell.attackId,
      expected: expectedText(cell.expected),
      observed: observedText(cell),
      expectation: cell.expected,
    })),
    ...(cells.some((cell) => cell.depth !== undefined) ? { singlePointsOfFailure: singlePointsOfFailure(cells) } : {}),
    timings: {
      startedAt: results.startedAt,
      finishedAt: results.finishedAt,
      durationMs: Math.max(0, Date.parse(results.finishedAt) - Date.parse(results.startedAt)),
      cells: cells.length,
      controlMs: sum((cell) => cell.timings.controlMs),
      attemptMs: sum((cell) => cell.timings.attemptMs),
      evidenceMs: sum((cell) => cell.timings.evidenceMs),
    },
  };
}

export function renderJsonReport(report: JsonReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
