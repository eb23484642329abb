import { execa } from 'execa';
import { access, readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const STACK = /^\s+at /m;

/** Runs a bin script the way its npm script does (TypeScript through tsx's loader), never as a benchmark. */
function script(file: string, ...args: string[]) {
  const command = file.endsWith('.ts') ? ['--import', 'tsx', file] : [file];
  return execa(process.execPath, [...command, ...args], { cwd: ROOT, reject: false, timeout: 30_000, env: { NO_COLOR: '1', CI: 'true' } });
}

describe('bin scripts', () => {
  it('every package script that runs a file in bin/ points at a file that exists; bench and bench:lab are there', async () => {
    const { scripts } = JSON.parse(await readFile(`${ROOT}package.json`, 'utf8')) as { scripts: Record<string, string> };
    expect(scripts.bench).toBe('tsx bin/bench-run.ts');
    expect(scripts['bench:lab']).toBe('tsx bin/bench-lab.ts');
    for (const [name, command] of Object.entries(scripts)) {
      for (const path of command.match(/bin\/[\w.-]+/g) ?? []) await expect(access(`${ROOT}${path}`), `${name}: ${path}`).resolves.toBeUndefined();
    }
  });

  it('every bin script has --help: exit 0, usage on stdout, no stack trace', async () => {
    const files = (await readdir(`${ROOT}bin`)).filter((file) => /\.(ts|js)$/.test(file));
    // Every script found is checked; the known ones must be among them (a failed readdir is not a pass).
    expect(files).toEqual(expect.arrayContaining(['bench-lab.ts', 'bench-run.ts', 'breachmatrix.js', 'gen-catalogue-doc.ts', 'refresh-upstream-schemas.ts']));
    for (const file of files) {
      const result = await script(`bin/${file}`, '--help');
      expect(result.exitCode, `${file}: ${result.stderr}`).toBe(0);
      expect(result.stdout, file).toMatch(/^Usage: /);
      expect(result.stderr, file).toBe('');
    }
  });

  it('an unknown flag exits 2 with the usage, not a parse-args stack trace', async () => {
    for (const file of ['bin/bench-run.ts', 'bin/bench-lab.ts']) {
      const result = await script(file, '--frobnicate');
      expect(result.exitCode, file).toBe(2);
      expect(result.stderr, file).toContain("'--frobnicate'");
      expect(result.stderr, file).toContain('Usage: ');
      expect(result.stderr, file).not.toMatch(STACK);
    }
    const runs = await script('bin/bench-run.ts', '--runs', '0');
    expect(runs.exitCode).toBe(2);
    expect(runs.stderr).toContain('--runs must be a whole number >= 1, got "0"');
  });
});
