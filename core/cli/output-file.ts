import { writeFile } from 'node:fs/promises';
import { BadInputError } from '../domain/errors.ts';

/** Write a file the user named by a flag; a path that cannot be written is bad input (exit 2), not a stack trace. */
export async function writeOutputFile(path: string, content: string, flag: string): Promise<void> {
  try {
    await writeFile(path, content, 'utf8');
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    const what = code === 'ENOENT' ? 'its folder does not exist' : code === 'EISDIR' ? 'it is a directory' : `cannot write it (${message})`;
    throw new BadInputError(what, `${flag} ${path}`, 'a file path in an existing, writable folder');
  }
}
