import { readFile } from 'node:fs/promises';
import type { Cell } from '../core/domain/cell.ts';
import { BadInputError } from '../core/domain/errors.ts';
import { READABLE_SCHEMA_VERSIONS, RESULTS_SCHEMA_VERSION, type ProfileErrorLine, type RunEndLine, type RunHeaderLine } from '../core/domain/results.ts';
import type { SceneSelfTestLine } from '../core/domain/scene-self-test.ts';
import { badInputFromZod } from '../core/config/zod-issues.ts';
import { mergeResults } from './merge-results.ts';
import { RESULT_LINE_TYPES, resultLineSchema } from './results-schema.ts';
import type { ResultsFile, RunResults } from './run-results.ts';

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
}

/** The schemaVersion a line declares: the header's own, or its cell's. */
function declaredSchemaVersion(value: unknown): { readonly field: string; readonly version: unknown } | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  if ('schemaVersion' in value) return { field: 'schemaVersion', version: value.schemaVersion };
  if ('cell' in value && typeof value.cell === 'object' && value.cell !== null && 'schemaVersion' in value.cell) return { field: 'cell.schemaVersion', version: value.cell.schemaVersion };
  return undefined;
}

/** A results file from another harness version says so, rather than failing on the first field that moved. */
function checkSchemaVersion(value: unknown, where: string): void {
  const declared = declaredSchemaVersion(value);
  if (declared === undefined || typeof declared.version !== 'number' || (READABLE_SCHEMA_VERSIONS as readonly number[]).includes(declared.version)) return;
  const who = declared.version > RESULTS_SCHEMA_VERSION ? 'a newer' : 'an older';
  const readable = READABLE_SCHEMA_VERSIONS.join(' or ');
  throw new BadInputError(
    `written by ${who} breachmatrix (schema ${declared.version}; this one reads ${readable})`,
    `${where}: ${declared.field}`,
    `schema ${readable}; read it with the breachmatrix version that wrote it`,
  );
}

/**
 * Parse one results.jsonl. Every problem is a BadInputError naming the file and line. One tolerance: the last
 * line of a run without an `end` line may be torn (the process died mid-write); it is dropped with a warning.
 */
export function parseResultsText(text: string, file: string): ResultsFile {
  const lines = text.split('\n');
  const endsWithNewline = text.endsWith('\n');
  let header: RunHeaderLine | undefined;
  let end: RunEndLine | undefined;
  const cells: Cell[] = [];
  const profileErrors: ProfileErrorLine[] = [];
  const sceneTests: SceneSelfTestLine[] = [];
  const passSceneTests: SceneSelfTestLine[] = [];
  const warnings: string[] = [];

  for (const [index, rawLine] of lines.entries()) {
    const lineNumber = index + 1;
    const where = `${file}:${lineNumber}`;
    const line = rawLine.trim();
    if (line === '') continue;
    const json = parseJson(line);
    if (!json.ok) {
      const isLastLine = lines.slice(index + 1).every((rest) => rest.trim() === '');
      if (isLastLine && !endsWithNewline && end === undefined && header !== undefined) {
        warnings.push(`${where}: dropped a torn last line (the run was interrupted mid-write)`);
        continue;
      }
      throw new BadInputError(`not valid JSON (${json.message})`, where);
    }
    checkSchemaVersion(json.value, where);
    const parsed = resultLineSchema.safeParse(json.value, { reportInput: true });
    if (!parsed.success) {
      const type = (json.value as { type?: unknown } | null)?.type;
      if (typeof type !== 'string' || !(RESULT_LINE_TYPES as readonly string[]).includes(type)) {
        throw new BadInputError(`unknown line type ${JSON.stringify(type)}`, `${where}: type`, RESULT_LINE_TYPES.join(', '));
      }
      throw badInputFromZod(where, parsed.error);
    }
    const value = parsed.data;
    if (value.type === 'run') {
      if (header !== undefined) throw new BadInputError('a second `run` header (one run per file; pass several files to merge)', where);
      header = value;
      continue;
    }
    if (header === undefined) throw new BadInputError(`a \`${value.type}\` line before the \`run\` header`, where, 'the first line is the run header');
    if (end !== undefined) throw new BadInputError(`a \`${value.type}\` line after the \`end\` line`, where);
    const runId = value.type === 'cell' ? value.cell.runId : value.runId;
    if (runId !== header.runId) throw new BadInputError(`runId "${runId}" differs from the header's "${header.runId}"`, `${where}: runId`);
    if (value.type === 'cell') {
      const cell = value.cell;
      if (!header.profiles.some((profile) => profile.id === cell.profileId)) {
        throw new BadInputError(`profile "${cell.profileId}" is not in the run header`, `${where}: cell.profileId`, header.profiles.map((profile) => profile.id).join(', '));
      }
      if (!header.attacks.some((attack) => attack.id === cell.attackId)) {
        throw new BadInputError(`attack "${cell.attackId}" is not in the run header`, `${where}: cell.attackId`, header.attacks.map((attack) => attack.id).join(', '));
      }
      cells.push(cell);
    } else if (value.type === 'profile-error') {
      profileErrors.push(value);
    } else if (value.type === 'scene') {
      if (!header.profiles.some((profile) => profile.id === value.profileId)) {
        throw new BadInputError(`profile "${value.profileId}" is not in the run header`, `${where}: profileId`, header.profiles.map((profile) => profile.id).join(', '));
      }
      // A depth pass's self-test never stands for the profile's own (baseline) one.
      if (value.pass === undefined) sceneTests.push(value);
      else passSceneTests.push(value);
    } else {
      end = value;
    }
  }

  if (header === undefined) throw new BadInputError('no `run` header line (empty results file?)', file);
  return {
    file,
    header,
    cells,
    profileErrors,
    sceneTests,
    passSceneTests,
    ...(end === undefined ? {} : { end }),
    interrupted: end === undefined || end.interrupted,
    warnings,
  };
}

export async function readResultsFile(path: string): Promise<ResultsFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new BadInputError(`cannot read results file (${(error as Error).message})`, path);
  }
  return parseResultsText(text, path);
}

/** Read and merge one or more results.jsonl files (nightly: one per profile job). */
export async function readResults(paths: readonly string[]): Promise<RunResults> {
  if (paths.length === 0) throw new BadInputError('no results file given', 'results', 'one or more results.jsonl paths');
  const files = await Promise.all(paths.map((path) => readResultsFile(path)));
  return mergeResults(files);
}
