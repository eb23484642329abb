import { execa } from 'execa';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/breachmatrix.js', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../../reports/fixtures/', import.meta.url));
const SAMPLE = join(FIXTURES, 'sample-results.jsonl');
const SAMPLE_KIND = join(FIXTURES, 'sample-results-kind.jsonl');
const SAMPLE_NEW = join(FIXTURES, 'sample-results-new.jsonl');

function cli(...args: string[]) {
  return execa(process.execPath, [BIN, ...args], { reject: false, env: { NO_COLOR: '1', CI: 'true' } });
}

describe('breachmatrix CLI', () => {
  it('prints help listing every command and the exit codes', async () => {
    const result = await cli('--help');
    expect(result.exitCode).toBe(0);
    for (const command of ['run', 'plan', 'report', 'diff', 'list', 'clean']) expect(result.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    expect(result.stdout).toContain('2 bad input');
  });

  it('has --help for every command', async () => {
    for (const command of ['run', 'plan', 'report', 'diff', 'list', 'clean']) {
      const result = await cli(command, '--help');
      expect(result.exitCode, command).toBe(0);
      expect(result.stdout, command).toContain(`Usage: breachmatrix ${command}`);
    }
  });

  it('exits 2 naming the flag and the allowed values for an unknown provider', async () => {
    const result = await cli('run', '--provider', 'docker');
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('unknown provider "docker" (allowed: kind, lab, kubeconfig)');
  });

  it('exits 2 for a bad number and for an unknown flag', async () => {
    const zero = await cli('run', '--provider', 'lab', '--concurrency', '0');
    expect(zero.exitCode).toBe(2);
    expect(zero.stderr).toContain('--concurrency must be a whole number from 1 to 256');
    const unknown = await cli('run', '--frobnicate');
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--frobnicate'");
  });

  it('exits 2 for an unknown profile or attack, listing the known ones, before touching anything', async () => {
    const profile = await cli('run', '--provider', 'lab', '--profile', 'lab:nope');
    expect(profile.exitCode).toBe(2);
    expect(profile.stderr).toContain('--profile: unknown profile "lab:nope"');
    expect(profile.stderr).toContain('lab:netpol+sidecar');
    const attack = await cli('run', '--provider', 'lab', '--attack', 'XX9');
    expect(attack.exitCode).toBe(2);
    expect(attack.stderr).toMatch(/XX9/);
  });

  it('exits 2 for a profiles file with an unknown CNI, naming the file and field', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bm-cli-'));
    const config = join(dir, 'profiles.yaml');
    await writeFile(config, 'profiles:\n  - { cni: weave, mesh: none }\n');
    const result = await cli('list', '--config', config);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`${config}: profiles[0].cni`);
    expect(result.stderr).toContain('"kindnet", "calico", "cilium"');
  });

  it('refuses the kubeconfig provider without explicit consent, exit 2', async () => {
    const result = await cli('run', '--provider', 'kubeconfig', '--context', 'prod');
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/i-understand-this-attacks-the-cluster/);
  });

  it('lists the catalogue and the profiles, one line each', async () => {
    const result = await cli('list');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^ {2}SC1 +sidecar-bypass/m);
    expect(result.stdout).toMatch(/^ {2}cilium\+istio-ambient +policy layered/m);
    expect(result.stdout).toMatch(/^ {2}lab:netpol\+sidecar/m);
  });

  it('re-renders all four reports from the sample results.jsonl', async () => {
    const out = await mkdtemp(join(tmpdir(), 'bm-report-'));
    const result = await cli('report', SAMPLE, '--out', out);
    expect(result.exitCode, result.stderr).toBe(0);
    for (const file of ['report.json', 'junit.xml', 'summary.md', 'report.html']) expect(result.stdout).toContain(join(out, file));
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as { schemaVersion: number };
    expect(report.schemaVersion).toBe(2);
  });

  it('diff exits 1 on a regression, 0 with --fail-on none, and 2 for a file that is not results', async () => {
    const worse = await cli('diff', SAMPLE_KIND, SAMPLE_NEW, '--match-by-stack');
    expect(worse.exitCode, worse.stderr).toBe(1);
    expect(worse.stdout).toMatch(/worse/i);
    expect((await cli('diff', SAMPLE_KIND, SAMPLE_NEW, '--match-by-stack', '--fail-on', 'none')).exitCode).toBe(0);
    const bad = await cli('diff', BIN, SAMPLE_NEW);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain(BIN);
  });
});

