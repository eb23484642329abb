import { chmod, chown, lstat, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeOwnedDirectory, openAppendNoFollow, reclaimDirectory, writeFileNoFollow } from './owned-files.ts';

const OTHER = '1337';
const asOther = (command: readonly string[]) =>
  execa('setpriv', ['--reuid', OTHER, '--regid', OTHER, '--clear-groups', ...command], { reject: false, cwd: '/' });

describe('owned files (root next to another UID)', () => {
  let dir = '';
  let victim = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bm-owned-'));
    await chmod(dir, 0o755);
    victim = join(dir, 'victim');
    await writeFile(victim, 'untouched', { mode: 0o600 });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writeFileNoFollow replaces a planted link (target untouched) and sets mode and owner whatever the umask', async () => {
    const path = join(dir, 'identity.pem');
    await symlink(victim, path);
    const previous = process.umask(0o000);
    try {
      await writeFileNoFollow(path, 'key', { mode: 0o640, uid: 0, gid: Number(OTHER) });
    } finally {
      process.umask(previous);
    }
    const info = await lstat(path);
    expect([info.isFile(), info.uid, info.gid, (info.mode & 0o7777).toString(8)]).toEqual([true, 0, Number(OTHER), '640']);
    expect(await readFile(victim, 'utf8')).toBe('untouched');
    expect((await lstat(victim)).uid).toBe(0);
  });

  it('openAppendNoFollow refuses a link; makeOwnedDirectory refuses a link and a folder someone else made', async () => {
    const log = join(dir, 'access.log');
    await symlink(victim, log);
    expect(() => openAppendNoFollow(log, 0o644)).toThrow(/refused/);
    const linked = join(dir, 'linked-dir');
    await symlink(dir, linked);
    await expect(makeOwnedDirectory(linked, { mode: 0o755 })).rejects.toThrow(/symbolic link/);
    const foreign = join(dir, 'foreign');
    await mkdir(foreign);
    await chown(foreign, Number(OTHER), Number(OTHER));
    await expect(makeOwnedDirectory(foreign, { mode: 0o755 })).rejects.toThrow(/owned by UID 1337/);
  });

  it('reclaimDirectory takes a folder back: the other UID can no longer create or swap anything in it', async () => {
    const handed = join(dir, 'sockets');
    await makeOwnedDirectory(handed, { mode: 0o700, uid: Number(OTHER), gid: Number(OTHER) });
    expect((await asOther(['mkdir', join(handed, 'sub')])).exitCode).toBe(0);
    await reclaimDirectory(handed);
    expect((await asOther(['ln', '-sfn', '/etc', join(handed, 'sub')])).exitCode).not.toBe(0);
    expect((await asOther(['touch', join(handed, 'new')])).exitCode).not.toBe(0);
    const info = await lstat(handed);
    expect([info.uid, (info.mode & 0o7777).toString(8)]).toEqual([0, '700']);
  });
});
