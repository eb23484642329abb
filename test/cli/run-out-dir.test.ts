import { execa } from 'execa';
import { mkdtemp, readFile, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/breachmatrix.js', import.meta.url));

describe('breachmatrix run --out', () => {
  it('exits 2 when --out holds an earlier run\'s results.jsonl, leaving it untouched', async () => {
    const out = await mkdtemp(join(tmpdir(), 'bm-reuse-'));
    await writeFile(join(out, 'results.jsonl'), 'earlier results\n');
    const result = await execa(process.execPath, [BIN, 'run', '--provider', 'lab', '--out', out], { reject: false, env: { NO_COLOR: '1', CI: 'true' } });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`breachmatrix: --out: ${join(out, 'results.jsonl')} holds an earlier run's results (allowed: an empty or new directory, or --force to overwrite them)`);
    expect(await readFile(join(out, 'results.jsonl'), 'utf8')).toBe('earlier results\n');
  });

  it('exits 3 before creating anything when --out is on a file system with too little room (a real 1 MiB tmpfs)', async () => {
    const out = await mkdtemp(join(tmpdir(), 'bm-small-'));
    // The tmpfs exists only in this private mount namespace; the CLI runs inside it.
    const result = await execa(
      'unshare',
      ['-m', '--propagation', 'private', 'sh', '-c', 'mount -t tmpfs -o size=1m,mode=0755 bm-small "$1" && exec "$2" "$3" run --provider lab --out "$1/out"', 'sh', out, process.execPath, BIN],
      { reject: false, env: { NO_COLOR: '1', CI: 'true', PATH: process.env.PATH ?? '' } },
    );
    expect(result.exitCode, result.stderr).toBe(3);
    expect(result.stderr).toMatch(/--out: 1\.0 MiB free on the file system of .*bm-small-\w+; a run needs at least 64\.0 MiB/);
    expect(result.stderr).not.toMatch(/lab bml-/);
    await rmdir(out);
  });
});
