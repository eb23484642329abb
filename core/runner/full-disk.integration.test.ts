import { execa } from 'execa';
import { mkdtemp, readdir, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const FIXTURE = fileURLToPath(new URL('./testing/full-disk-run.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * A real full disk: a 48 KiB tmpfs mounted in a private mount namespace (`unshare -m`, never visible on the host),
 * holding --out of a whole run. Needs root, like the lab.
 */
describe('a run whose --out fills up', () => {
  it('stops starting attacks, keeps every written cell as a whole line, counts the lost ones and exits 3', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bm-full-'));
    const result = await execa(
      'unshare',
      ['-m', '--propagation', 'private', 'sh', '-c', 'mount -t tmpfs -o size=48k,mode=0755 bm-full "$1" && exec "$2" --import tsx "$3" "$1"', 'sh', dir, process.execPath, FIXTURE],
      { reject: false, cwd: REPO_ROOT },
    );
    expect(result.exitCode, `${result.stdout}\n${result.stderr}\n${result.message}`).toBe(0);
    const report = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
    expect(report).toMatchObject({ exitCode: 3, truncated: true, endsWithNewline: true, fileWarnings: [], tornDown: true });
    expect(report.error).toMatch(/ENOSPC/);
    expect(report.lostCells).toBeGreaterThanOrEqual(1);
    // What the run says it kept is exactly what is on disk.
    expect(report.fileCells).toBe(report.keptCells);
    expect(report.keptCells).toBeGreaterThan(5);
    // It stopped starting attacks: far fewer than the 80 cells were attempted.
    expect(report.attemptsStarted).toBeLessThan(80);
    // The tmpfs lived only in the test's mount namespace: the host's directory is empty.
    expect(await readdir(dir)).toEqual([]);
    await rmdir(dir);
  });
});
