import { closeSync, constants, fchmodSync, openSync } from 'node:fs';
import { lstat, mkdir, open, rename, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { InfrastructureError } from '../domain/errors.ts';

/**
 * The harness runs as root next to code running as other UIDs. Files and folders it makes get explicit modes
 * (never the umask's), and it never writes through a name it did not just create itself: a link planted under
 * that name by someone else is replaced, never followed.
 */
export interface Ownership {
  /** Permission bits, applied through the descriptor whatever the umask. */
  readonly mode: number;
  readonly uid?: number;
  readonly gid?: number;
}

const NO_FOLLOW_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/**
 * Writes `content` to `path`: a fresh file under a random temporary name (O_CREAT|O_EXCL|O_NOFOLLOW) in the
 * same folder, mode and owner set through its descriptor, then renamed over `path`. Whatever stood at `path`
 * (a file, a planted symlink) is replaced, and its target is never opened.
 */
export async function writeFileNoFollow(path: string, content: string | Uint8Array, ownership: Ownership): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temporary, NO_FOLLOW_NEW, 0o600);
  try {
    try {
      if (ownership.uid !== undefined || ownership.gid !== undefined) await handle.chown(ownership.uid ?? -1, ownership.gid ?? -1);
      await handle.chmod(ownership.mode);
      await handle.writeFile(content);
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/**
 * Opens `path` for appending without following a link (O_NOFOLLOW), creating it with `mode` (set through the
 * descriptor) when absent. Returns the descriptor: the caller closes it.
 */
export function openAppendNoFollow(path: string, mode: number): number {
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, mode);
  } catch (error) {
    throw new InfrastructureError('host', `cannot open ${path} for appending (a link there is refused): ${(error as Error).message}`, { cause: error });
  }
  try {
    fchmodSync(fd, mode);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  return fd;
}

/**
 * Makes the folder `path` (its parent must exist) with `ownership`, applied through a descriptor opened without
 * following links. A folder already there is accepted only when it is a real folder this process's user owns
 * (then its mode and owner are set again): a link, or a folder someone else made, is refused.
 */
export async function makeOwnedDirectory(path: string, ownership: Ownership): Promise<void> {
  try {
    await mkdir(path, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const info = await lstat(path);
    if (!info.isDirectory() || info.uid !== process.getuid?.()) {
      const what = info.isSymbolicLink() ? 'a symbolic link' : info.isDirectory() ? `a folder owned by UID ${info.uid}` : 'not a folder';
      throw new InfrastructureError('host', `refusing to use ${path}: it is ${what}; expected a folder owned by UID ${process.getuid?.() ?? '?'}`);
    }
  }
  const handle = await open(path, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  try {
    if (ownership.uid !== undefined || ownership.gid !== undefined) await handle.chown(ownership.uid ?? -1, ownership.gid ?? -1);
    await handle.chmod(ownership.mode);
  } finally {
    await handle.close();
  }
}

/**
 * Makes `path` and the folders above it that are missing, each with `mode` whatever the umask; folders that
 * already existed are left exactly as they were (the harness changes no permission outside what it made).
 */
export async function makeDirectories(path: string, mode: number): Promise<void> {
  const missing: string[] = [];
  for (let current = path; current !== dirname(current); current = dirname(current)) {
    const exists = await lstat(current).then(
      () => true,
      () => false,
    );
    if (exists) break;
    missing.unshift(current);
  }
  for (const folder of missing) await makeOwnedDirectory(folder, { mode });
}


/** Modes of what a run writes for its user: readable by all, writable by the owner only. */
export const OUTPUT_MODES = { dir: 0o755, file: 0o644 } as const;

/** Writes one output file (results, reports) with 0644, making missing folders above it 0755. */
export async function writeOutputFile(path: string, content: string): Promise<void> {
  await makeDirectories(dirname(path), OUTPUT_MODES.dir);
  await writeFileNoFollow(path, content, { mode: OUTPUT_MODES.file });
}

/**
 * Takes back a folder handed to another UID before it is removed: owner this process, mode 0700, through a
 * descriptor opened without following links. A recursive removal walks by path; once the folder is ours and
 * closed, the other UID can no longer swap a subfolder for a link while root walks it.
 */
export async function reclaimDirectory(path: string): Promise<void> {
  const handle = await open(path, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  try {
    await handle.chown(process.getuid?.() ?? 0, process.getgid?.() ?? 0);
    await handle.chmod(0o700);
  } finally {
    await handle.close();
  }
}
