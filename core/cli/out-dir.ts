import { stat } from 'node:fs/promises';
import { BadInputError } from '../domain/errors.ts';

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
