import { lstat, stat, statfs } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { BadInputError, InfrastructureError } from '../domain/errors.ts';

/**
 * `--out` must be a directory or not exist yet (it is then created). Checked before anything starts, so a path
 * to a file is bad input (exit 2) rather than a write failure after the matrix ran.
 */
export async function checkOutDir(path: string, flag = '--out'): Promise<void> {
  const found = await stat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    if (error.code === 'ENOTDIR') throw new BadInputError('a parent of this path is a file', `${flag} ${path}`, 'a directory path (created when missing)');
    throw new BadInputError(`cannot inspect the path (${error.message})`, `${flag} ${path}`, 'a directory path (created when missing)');
  });
  if (found !== undefined && !found.isDirectory()) {
    throw new BadInputError('is a file, not a directory', `${flag} ${path}`, 'a directory path (created when missing)');
  }
}

/**
 * Free space a run needs on the file system of `--out`: results.jsonl and four reports. A full lab run writes
 * about 2 MB and a full kind run about 5 MB; the margin covers large evidence records and other writers.
 */
export const REQUIRED_FREE_BYTES = 64 * 1024 * 1024;

export interface OutDirCheck {
  readonly force: boolean;
  /** Tests inject a file system that reports a nearly full disk. */
  readonly statfs?: (path: string) => Promise<{ readonly bavail: number; readonly bsize: number }>;
}

function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return false;
      throw error;
    },
  );
}

/** The directory itself or its nearest existing ancestor: where the run's files will land. */
async function existingAncestor(dir: string): Promise<string> {
  let current = resolve(dir);
  while (!(await exists(current))) {
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  return current;
}

function mebibytes(bytes: number): string {
  // Rounded down: never claim more room than there is.
  return `${(Math.floor((bytes / (1024 * 1024)) * 10) / 10).toFixed(1)} MiB`;
}

/**
 * Before anything is created: `--out` must not hold an earlier run's results (unless `--force`), and its file
 * system must have room for this run's.
 */
export async function checkRunOutDir(out: string, check: OutDirCheck): Promise<void> {
  const results = join(out, 'results.jsonl');
  if (!check.force && (await exists(results))) {
    throw new BadInputError(`${results} holds an earlier run's results`, '--out', 'an empty or new directory, or --force to overwrite them');
  }
  const where = await existingAncestor(out);
  const stats = await (check.statfs ?? statfs)(where);
  const free = stats.bavail * stats.bsize;
  if (free < REQUIRED_FREE_BYTES) {
    throw new InfrastructureError('--out', `${mebibytes(free)} free on the file system of ${where}; a run needs at least ${mebibytes(REQUIRED_FREE_BYTES)}`);
  }
}
