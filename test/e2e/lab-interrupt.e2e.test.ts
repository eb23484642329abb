import { execa } from 'execa';
import { access, mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findAttacks } from '../../attack-pods/catalogue/index.ts';
import { labProfiles } from '../../core/config/profiles-config.ts';
import { stackTraits } from '../../core/domain/profile.ts';
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
    // Wait for the first measured cells (n/a cells are written at the start), then interrupt as a user would.
    const deadline = Date.now() + 120_000;
    while ((await resultLines(results)).filter((line) => line.type === 'cell' && line.cell.outcome !== 'not-applicable').length < 2) {
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
    // Every n/a cell of the stack is kept, whatever the interrupt cut short.
    const profile = labProfiles().find((candidate) => candidate.id === 'lab:netpol+sidecar');
    const notApplicable = findAttacks([]).filter((attack) => profile !== undefined && attack.notApplicable(stackTraits(profile)) !== undefined);
    expect(notApplicable.length).toBeGreaterThan(0);
    for (const attack of notApplicable) expect(cells.some((line) => line.type === 'cell' && line.cell.attackId === attack.id && line.cell.outcome === 'not-applicable'), attack.id).toBe(true);
    // An attempt the interrupt cut short is not-run, never an error counted against the stack.
    expect(cells.filter((line) => line.type === 'cell' && line.cell.outcome === 'error').map((line) => (line.type === 'cell' ? line.cell.reason : ''))).toEqual([]);
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
