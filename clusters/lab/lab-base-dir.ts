import { lstat } from 'node:fs/promises';
import { InfrastructureError } from '../../core/domain/errors.ts';
import { makeOwnedDirectory } from '../../core/host/owned-files.ts';

/**
 * Where every lab keeps its files: one root-owned 0755 folder the lab makes itself, outside TMPDIR. The proxy
 * runs as UID 1337 and must walk down to its run folder; under TMPDIR that walk may cross a 0700 folder the
 * harness does not own (root's home, a private TMPDIR), and chmodding someone else's folder is not ours to do.
 * /run is root-owned and 0755 on every systemd host, and a tmpfs, so a crash leaves nothing past a reboot.
 */
export const LAB_BASE_DIR = '/run/breachmatrix-lab';

/** Makes (or checks) the base folder: a real folder owned by root, writable by nobody else. */
export async function ensureLabBaseDir(base: string = LAB_BASE_DIR): Promise<string> {
  try {
    await makeOwnedDirectory(base, { mode: 0o755 });
  } catch (error) {
    if (error instanceof InfrastructureError) throw error;
    throw new InfrastructureError('lab', `cannot make the lab's base folder ${base} (a root-owned 0755 folder): ${(error as Error).message}`, { cause: error });
  }
  const info = await lstat(base);
  if ((info.mode & 0o022) !== 0) {
    throw new InfrastructureError('lab', `${base} is writable by group or others (mode ${(info.mode & 0o7777).toString(8)}): expected 0755`);
  }
  return base;
}
