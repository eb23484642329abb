import type { Cell } from '../core/domain/cell.ts';
import { BadInputError } from '../core/domain/errors.ts';
import type { ProviderName } from '../core/domain/profile.ts';
import type { AttackSummary, ProfileErrorLine, ProfileSummary } from '../core/domain/results.ts';
import type { SceneSelfTestLine } from '../core/domain/scene-self-test.ts';
import { cellKey, type ResultsFile, type RunResults, type RunSummary } from './run-results.ts';

function later(a: string, b: string): boolean {
  return Date.parse(a) > Date.parse(b);
}

/** A cell and the file it came from, for the merge rule and its warning. */
interface Candidate {
  readonly cell: Cell;
  readonly file: ResultsFile;
}

/**
 * The one rule for a (profile, attack) found in several files: a cell from a complete run (an `end` line, not
 * interrupted) wins over one from an interrupted run; between equals the later finish wins; on a tie the file
 * given later wins.
 */
function wins(challenger: Candidate, holder: Candidate): boolean {
  if (challenger.file.interrupted !== holder.file.interrupted) return !challenger.file.interrupted;
  return !later(holder.cell.timings.finishedAt, challenger.cell.timings.finishedAt);
}

function runLabel(file: ResultsFile): string {
  return `${file.file} (run ${file.header.runId}, ${file.interrupted ? 'interrupted' : 'complete'})`;
}

/** One warning per pair of files that overlap: which cells, and which file was kept for them. */
function overlapWarnings(overlaps: readonly { readonly kept: Candidate; readonly dropped: Candidate }[]): string[] {
  const groups = new Map<string, { kept: ResultsFile; dropped: ResultsFile; cells: string[] }>();
  for (const { kept, dropped } of overlaps) {
    const key = `${kept.file.file}\u0000${dropped.file.file}`;
    const group = groups.get(key) ?? { kept: kept.file, dropped: dropped.file, cells: [] };
    group.cells.push(`${kept.cell.profileId}/${kept.cell.attackId}`);
    groups.set(key, group);
  }
  return [...groups.values()].map(
    (group) =>
      `${group.cells.length} overlapping cell(s) kept from ${runLabel(group.kept)} over ${runLabel(group.dropped)} ` +
      `(rule: a complete run wins over an interrupted one, then the later finish): ${group.cells.join(', ')}`,
  );
}

/**
 * Merge parsed results files: profiles and attacks are the union of the headers (first seen keeps its place,
 * a later header refreshes its data). A (profile, attack) present in several files follows one rule (see `wins`)
 * and every overlap is listed in a warning, so no cell silently replaces another.
 */
export function mergeResults(files: readonly ResultsFile[]): RunResults {
  const first = files[0];
  if (first === undefined) throw new BadInputError('no results file given', 'results', 'one or more results.jsonl paths');

  const profiles = new Map<string, ProfileSummary>();
  const attacks = new Map<string, AttackSummary>();
  const cells = new Map<string, Candidate>();
  const overlaps: { kept: Candidate; dropped: Candidate }[] = [];
  const providers = new Set<ProviderName>();
  const profileErrors: ProfileErrorLine[] = [];
  const sceneTests = new Map<string, SceneSelfTestLine>();
  const passSceneTests: SceneSelfTestLine[] = [];
  const runs: RunSummary[] = [];
  const warnings: string[] = [];

  for (const file of files) {
    const { header } = file;
    providers.add(header.provider);
    for (const profile of header.profiles) {
      const known = profiles.get(profile.id);
      if (known !== undefined && (known.cni !== profile.cni || known.mesh !== profile.mesh)) {
        throw new BadInputError(
          `profile "${profile.id}" is ${profile.cni}+${profile.mesh} here but ${known.cni}+${known.mesh} in an earlier file`,
          `${file.file}: run.profiles`,
        );
      }
      profiles.set(profile.id, profile);
      providers.add(profile.provider);
    }
    for (const attack of header.attacks) attacks.set(attack.id, attack);
    for (const cell of file.cells) {
      const key = cellKey(cell.profileId, cell.attackId);
      const challenger = { cell, file };
      const holder = cells.get(key);
      if (holder === undefined) {
        cells.set(key, challenger);
      } else if (holder.file === file) {
        cells.set(key, challenger); // a run never writes a cell twice; if it did, its last line stands
      } else if (wins(challenger, holder)) {
        cells.set(key, challenger);
        overlaps.push({ kept: challenger, dropped: holder });
      } else {
        overlaps.push({ kept: holder, dropped: challenger });
      }
    }
    profileErrors.push(...file.profileErrors);
    // Like cells: the latest self-test of a profile stands for it.
    for (const scene of file.sceneTests ?? []) {
      const known = sceneTests.get(scene.profileId);
      if (known === undefined || !later(known.at, scene.at)) sceneTests.set(scene.profileId, scene);
    }
    passSceneTests.push(...(file.passSceneTests ?? []));
    warnings.push(...file.warnings);
    runs.push({
      runId: header.runId,
      file: file.file,
      harnessVersion: header.harnessVersion,
      provider: header.provider,
      startedAt: header.startedAt,
      ...(file.end === undefined ? {} : { finishedAt: file.end.finishedAt }),
      interrupted: file.interrupted,
    });
  }

  warnings.push(...overlapWarnings(overlaps));
  const merged = [...cells.values()].map((candidate) => candidate.cell);
  const startedAt = runs.map((run) => run.startedAt).reduce((a, b) => (later(a, b) ? b : a));
  const ends = [...runs.flatMap((run) => (run.finishedAt === undefined ? [] : [run.finishedAt])), ...merged.map((cell) => cell.timings.finishedAt)];
  const finishedAt = ends.length === 0 ? startedAt : ends.reduce((a, b) => (later(b, a) ? b : a));

  return {
    files: files.map((file) => file.file),
    runs,
    providers: [...providers],
    profiles: [...profiles.values()],
    attacks: [...attacks.values()],
    cells: merged,
    profileErrors,
    sceneTests: [...sceneTests.values()],
    passSceneTests,
    startedAt,
    finishedAt,
    interrupted: runs.some((run) => run.interrupted),
    warnings,
  };
}
