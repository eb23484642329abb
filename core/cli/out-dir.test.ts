import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BadInputError, InfrastructureError } from '../domain/errors.ts';
import { checkRunOutDir, REQUIRED_FREE_BYTES } from './out-dir.ts';

describe('checkRunOutDir', () => {
  it('accepts a new directory (checked on its nearest existing ancestor) and an empty one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bm-out-'));
    await expect(checkRunOutDir(dir, { force: false })).resolves.toBeUndefined();
    await expect(checkRunOutDir(join(dir, 'a', 'b'), { force: false })).resolves.toBeUndefined();
  });

  it('refuses an --out that holds results.jsonl unless --force', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bm-out-'));
    await writeFile(join(dir, 'results.jsonl'), '{}\n');
    const refused = checkRunOutDir(dir, { force: false });
    await expect(refused).rejects.toBeInstanceOf(BadInputError);
    await expect(refused).rejects.toThrow(/--out: .*results\.jsonl holds an earlier run's results \(allowed: .*--force/);
    await expect(checkRunOutDir(dir, { force: true })).resolves.toBeUndefined();
  });

  it('refuses a file system with less free space than the named minimum, saying how much there is', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bm-out-'));
    const nearlyFull = async () => ({ bavail: REQUIRED_FREE_BYTES / 4096 - 1, bsize: 4096 });
    const refused = checkRunOutDir(dir, { force: false, statfs: nearlyFull });
    await expect(refused).rejects.toBeInstanceOf(InfrastructureError);
    await expect(refused).rejects.toThrow(/63\.9 MiB free on the file system of .*; a run needs at least 64\.0 MiB/);
    await expect(checkRunOutDir(dir, { force: false, statfs: async () => ({ bavail: REQUIRED_FREE_BYTES / 4096, bsize: 4096 }) })).resolves.toBeUndefined();
  });
});
