import { lstat, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where a run keeps one cluster's plan files and kubeconfig: $TMPDIR/breachmatrix-<cluster>-XXXXXX. */
export function workDirPrefix(clusterName: string, base: string = tmpdir()): string {
  return join(base, `breachmatrix-${clusterName}-`);
}

/** mkdtemp creates the directory with mode 0700 under a fresh random name: only this UID can write into it. */
export async function createWorkDir(clusterName: string, base: string = tmpdir()): Promise<string> {
  return mkdtemp(workDirPrefix(clusterName, base));
}

/**
 * Remove a work directory this run created. Root never follows a path another UID can write, so the directory is
 * checked first: a real directory (not a symlink), owned by this UID, writable by nobody else. Anything else is
 * left alone and reported. `rm` removes links inside it as links, never their targets.
 */
export async function removeWorkDir(path: string, uid: number | undefined = process.getuid?.()): Promise<void> {
  const stats = await lstat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (stats === undefined) return;
  if (!stats.isDirectory()) throw new Error(`${path} is not a directory (a ${stats.isSymbolicLink() ? 'symlink' : 'file'}): left alone`);
  if (uid !== undefined && stats.uid !== uid) throw new Error(`${path} belongs to UID ${stats.uid}, not this run's ${uid}: left alone`);
  if ((stats.mode & 0o022) !== 0) throw new Error(`${path} is writable by others (mode ${(stats.mode & 0o777).toString(8)}): left alone`);
  await rm(path, { recursive: true, force: true });
}
