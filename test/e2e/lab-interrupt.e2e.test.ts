import { execa } from 'execa';
import { access, mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ResultLine } from '../../core/domain/results.ts';

const BIN = fileURLToPath(new URL('../../bin/breachmatrix.js', import.meta.url));

async function resultLines(file: string): Promise<ResultLine[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as ResultLine);
}

/** Ctrl-C in the middle of a real lab run: teardown runs, the finished cells and the reports are kept. */
describe('Ctrl-C during breachmatrix run --provider lab', () => {
  it('exits 130, keeps every finished cell, writes the reports and leaves no lab behind', async () => {
    const out = await mkdtemp(join(tmpdir(), 'bm-int-'));
    const results = join(out, 'results.jsonl');
    const child = execa(process.execPath, [BIN, 'run', '--provider', 'lab', '--profile', 'lab:netpol+sidecar', '--concurrency', '2', '--out', out], {
      reject: false,
      env: { CI: 'true', NO_COLOR: '1' },
    });
    // Wait for the first finished cells, then interrupt as a user would.
    const deadline = Date.now() + 120_000;
    while ((await resultLines(results)).filter((line) => line.type === 'cell').length < 2) {
      if (Date.now() > deadline) throw new Error('no cell finished within 120 s');
      await sleep(200);
    }
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode, result.stderr).toBe(130);

    const lines = await resultLines(results);
    const cells = lines.filter((line) => line.type === 'cell');
    expect(cells.length).toBeGreaterThanOrEqual(2);
    expect(cells.length).toBeLessThan(40);
    expect(lines.at(-1)).toMatchObject({ type: 'end', interrupted: true });
    for (const file of ['report.json', 'junit.xml', 'summary.md', 'report.html']) await access(join(out, file));
    expect(await readFile(join(out, 'summary.md'), 'utf8')).toMatch(/interrupted/i);

    const prefix = /lab (bml-[a-z0-9]+):/.exec(result.stderr)?.[1];
    expect(prefix, result.stderr).toBeDefined();
    const namespaces = (await execa('ip', ['netns', 'list'])).stdout.split('\n').filter((line) => line.startsWith(prefix ?? '?'));
    const etc = (await readdir('/etc/netns').catch(() => [] as string[])).filter((name) => name.startsWith(prefix ?? '?'));
    const processes = (await execa('pgrep', ['-af', prefix ?? '?'], { reject: false })).stdout.split('\n').filter((line) => line.trim() !== '');
    expect({ namespaces, etc, processes }).toEqual({ namespaces: [], etc: [], processes: [] });
  }, 240_000);
});
