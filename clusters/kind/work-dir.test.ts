import { chmod, chown, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWorkDir, removeWorkDir, workDirPrefix } from './work-dir.ts';

let base: string;
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'bm-work-dir-test-'));
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('kind work directory', () => {
  it('is created 0700 under $TMPDIR with the cluster in its name', async () => {
    const dir = await createWorkDir('bm-r1-calico', base);
    expect(dir.startsWith(workDirPrefix('bm-r1-calico', base))).toBe(true);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
  });

  it('is removed with its files, but a link inside is removed as a link, never its target', async () => {
    const dir = await createWorkDir('bm-r1-calico', base);
    const outside = join(base, 'outside.txt');
    await writeFile(outside, 'keep me');
    await mkdir(join(dir, 'manifests'));
    await writeFile(join(dir, 'manifests', 'calico-installation.yaml'), 'kind: Installation\n');
    await symlink(outside, join(dir, 'kubeconfig'));
    await symlink(base, join(dir, 'parent'));
    await removeWorkDir(dir);
    await expect(stat(dir)).rejects.toThrow(/ENOENT/);
    expect(await readFile(outside, 'utf8')).toBe('keep me');
    await removeWorkDir(dir); // already gone: nothing to do
  });

  it('leaves alone a symlink, a directory others can write, and one another UID owns', async () => {
    const target = await createWorkDir('bm-r1-target', base);
    const link = join(base, 'breachmatrix-bm-r1-link-abc');
    await symlink(target, link);
    await expect(removeWorkDir(link)).rejects.toThrow(/symlink.*left alone/);
    const open = await createWorkDir('bm-r1-open', base);
    await chmod(open, 0o777);
    await expect(removeWorkDir(open)).rejects.toThrow(/writable by others \(mode 777\)/);
    expect((await stat(open)).isDirectory()).toBe(true);
    const foreign = await createWorkDir('bm-r1-foreign', base);
    if (process.getuid?.() === 0) {
      await chown(foreign, 1337, 1337);
      await expect(removeWorkDir(foreign)).rejects.toThrow(/belongs to UID 1337/);
    } else {
      await expect(removeWorkDir(foreign, (process.getuid?.() ?? 0) + 1)).rejects.toThrow(/belongs to UID/);
    }
    expect((await stat(foreign)).isDirectory()).toBe(true);
    expect((await stat(target)).isDirectory()).toBe(true);
  });
});
