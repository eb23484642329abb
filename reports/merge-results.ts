import type { Cell } from '../core/domain/cell.ts';
import { BadInputError } from '../core/domain/errors.ts';
import type { ProviderName } from '../core/domain/profile.ts';
import type { AttackSummary, ProfileErrorLine, ProfileSummary } from '../core/domain/results.ts';
import type { SceneSelfTestLine } from '../core/domain/scene-self-test.ts';
import { cellKey, type ResultsFile, type RunResults, type RunSummary } from './run-results.ts';

function later(a: string, b: string): boolean {
  return Date.parse(a) > Date.parse(b);
}

/**
 * Merge parsed results files: profiles and attacks are the union of the headers (first seen keeps its place,
 * a later header refreshes its data), and each (profile, attack) keeps the cell that finished last — a re-run
 * of one profile replaces its earlier cells. Files are taken in the order given; on a tie the later file wins.
 */
export function mergeResults(files: readonly ResultsFile[]): RunResults {
  const first = files[0];
  if (first === undefined) throw new BadInputError('no results file given', 'results', 'one or more results.jsonl paths');

  const profiles = new Map<string, ProfileSummary>();
  const attacks = new Map<string, AttackSummary>();
  const cells = new Map<string, Cell>();
  const providers = new Set<ProviderName>();
  const profileErrors: ProfileErrorLine[] = [];
  const sceneTests = new Map<string, SceneSelfTestLine>();
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
      const known = cells.get(key);
      if (known === undefined || !later(known.timings.finishedAt, cell.timings.finishedAt)) cells.set(key, cell);
    }
    profileErrors.push(...file.profileErrors);
    // Like cells: the latest self-test of a profile stands for it.
    for (const scene of file.sceneTests ?? []) {
      const known = sceneTests.get(scene.profileId);
      if (known === undefined || !later(known.at, scene.at)) sceneTests.set(scene.profileId, scene);
    }
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

  const merged = [...cells.values()];
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
    startedAt,
    finishedAt,
    interrupted: runs.some((run) => run.interrupted),
    warnings,
  };
}
