import { lstat, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BadInputError } from '../core/domain/errors.ts';
import { SAMPLE_KIND, SAMPLE_LAB } from './fixtures/samples.ts';
import { readResults } from './read-results.ts';
import { writeReports } from './write-reports.ts';

describe('writeReports', () => {
  it('renders the five reports from the samples end to end', async () => {
    const out = join(await mkdtemp(join(tmpdir(), 'bm-write-')), 'nested', 'out');
    const { files } = await writeReports(out, await readResults([SAMPLE_LAB, SAMPLE_KIND]), { generatedAt: new Date('2025-11-23T08:00:00Z') });
    expect(files).toEqual(['report.json', 'junit.xml', 'summary.md', 'report.html', 'report.sarif'].map((name) => join(out, name)));
    expect((await readdir(out)).sort()).toEqual(['junit.xml', 'report.html', 'report.json', 'report.sarif', 'summary.md']);

    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as { schemaVersion: number; generatedAt: string; harness: { version: string }; counts: Record<string, number> };
    expect(report.schemaVersion).toBe(2);
    expect(report.generatedAt).toBe('2025-11-23T08:00:00.000Z');
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(report.harness.version).toBe(pkg.version);
    expect(report.counts.blocked).toBe(21);

    expect((await readFile(join(out, 'junit.xml'), 'utf8')).match(/<testcase /g)).toHaveLength(33);
    expect(await readFile(join(out, 'summary.md'), 'utf8')).toContain('## Unexpected cells (3)');
    const html = await readFile(join(out, 'report.html'), 'utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html.match(/<tr class="attack-row"/g)).toHaveLength(11);
    expect(html).not.toMatch(/<(link|img|iframe)\b|\bsrc=/);
    const sarif = JSON.parse(await readFile(join(out, 'report.sarif'), 'utf8')) as { version: string; runs: { tool: { driver: { version: string } }; results: unknown[] }[] };
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0]?.tool.driver.version).toBe(pkg.version);
    expect(sarif.runs[0]?.results.length).toBeGreaterThan(0);
  });

  it('overwrites earlier reports and leaves no temporary files', async () => {
    const out = await mkdtemp(join(tmpdir(), 'bm-write-'));
    await writeFile(join(out, 'summary.md'), 'old');
    await writeReports(out, await readResults([SAMPLE_KIND]), { harnessVersion: '1.2.3' });
    await writeReports(out, await readResults([SAMPLE_KIND]), { harnessVersion: '1.2.3' });
    expect((await readdir(out)).sort()).toEqual(['junit.xml', 'report.html', 'report.json', 'report.sarif', 'summary.md']);
    expect(await readFile(join(out, 'summary.md'), 'utf8')).toContain('cilium+istio-ambient');
  });

  it('under umask 000: folders it makes are 0755, reports 0644, a folder that existed keeps its mode, a planted link is replaced', async () => {
    const base = await mkdtemp(join(tmpdir(), 'bm-write-'));
    const out = join(base, 'nested', 'out');
    const victim = join(base, 'victim');
    const previous = process.umask(0o000);
    try {
      await writeFile(victim, 'untouched', { mode: 0o600 });
      await writeReports(out, await readResults([SAMPLE_KIND]), { harnessVersion: '1.2.3' });
      await rm(join(out, 'summary.md'));
      await symlink(victim, join(out, 'summary.md'));
      await writeReports(out, await readResults([SAMPLE_KIND]), { harnessVersion: '1.2.3' });
      for (const dir of [join(base, 'nested'), out]) expect(((await stat(dir)).mode & 0o7777).toString(8)).toBe('755');
      for (const name of ['report.json', 'junit.xml', 'summary.md', 'report.html', 'report.sarif']) {
        const info = await lstat(join(out, name));
        expect([info.isFile(), (info.mode & 0o7777).toString(8)]).toEqual([true, '644']);
      }
      expect(((await stat(base)).mode & 0o7777).toString(8)).toBe('700');
      expect(await readFile(victim, 'utf8')).toBe('untouched');
    } finally {
      process.umask(previous);
    }
  });

  it('names an output directory it cannot create', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bm-write-'));
    const blocker = join(dir, 'a-file');
    await writeFile(blocker, 'x');
    const results = await readResults([SAMPLE_KIND]);
    await expect(writeReports(join(blocker, 'out'), results)).rejects.toThrow(BadInputError);
    await expect(writeReports(join(blocker, 'out'), results)).rejects.toThrow(join(blocker, 'out'));
  });
});
