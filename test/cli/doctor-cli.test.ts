import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The gate stops run before --out is created; the path stays absent.
const NEVER_CREATED = join(tmpdir(), 'bm-doctor-gate-never-created');
const BIN = fileURLToPath(new URL('../../bin/breachmatrix.js', import.meta.url));

function cli(...args: string[]) {
  return execa(process.execPath, [BIN, ...args], { reject: false, env: { NO_COLOR: '1', CI: 'true' } });
}

/** Whether a Docker engine answers here, asked independently of doctor (this machine has only the client). */
async function engineAnswers(): Promise<boolean> {
  const info = await execa('docker', ['info', '--format', '{{.ServerVersion}}'], { reject: false });
  return info.exitCode === 0 && info.stdout.trim() !== '';
}

describe('breachmatrix doctor (real host)', () => {
  it('--provider lab passes on this machine as root, exit 0', async () => {
    const result = await cli('doctor', '--provider', 'lab');
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^ok {4}root: running as root \(uid 0\)$/m);
    expect(result.stdout).toMatch(/^ok {4}kernel: iptables TPROXY: /m);
    expect(result.stdout).not.toMatch(/^FAIL/m);
    expect(result.stdout).toMatch(/^all 9 checks passed \(provider lab\)$/m);
  }, 60_000);

  it("--provider kind explains this machine's Docker engine, exit 1 when a check fails", async () => {
    const result = await cli('doctor', '--provider', 'kind', '--profile', 'kindnet');
    expect(result.stdout).toMatch(/^ok {4}Docker client: client \d+\.\d+\.\d+$/m);
    if (await engineAnswers()) {
      expect(result.stdout).toMatch(/^ok {4}Docker engine: engine \d+\.\d+\.\d+/m);
    } else {
      expect(result.stdout).toMatch(/^FAIL {2}Docker engine: only the Docker client \(\d+\.\d+\.\d+\) is here: no engine answered — .*Cannot connect to the Docker daemon/m);
      expect(result.stdout).toMatch(/^ {6}fix: start the Docker engine/m);
    }
    const failed = (result.stdout.match(/^FAIL/gm) ?? []).length;
    expect(result.exitCode, result.stdout).toBe(failed > 0 ? 1 : 0);
    expect(result.stdout).toMatch(/^(ok {2}|FAIL) {2}free memory: /m);
    expect(result.stdout).toMatch(/^(ok {2}|FAIL) {2}inotify limits: /m);
    expect(result.stdout).toMatch(/^(ok {2}|FAIL) {2}cgroup v2: /m);
  }, 60_000);

  it('--json gives CI every check with id, status, detail and fix', async () => {
    const result = await cli('doctor', '--provider', 'kind', '--profile', 'kindnet', '--json');
    const report = JSON.parse(result.stdout) as { provider: string; passed: boolean; checks: { id: string; status: string; fix?: string }[] };
    expect(report.provider).toBe('kind');
    expect(report.checks.map((check) => check.id)).toEqual([
      'kind.docker.client',
      'kind.docker.engine',
      'kind.tool.kind',
      'kind.tool.helm',
      'kind.memory',
      'kind.disk',
      'kind.inotify',
      'kind.cgroup-v2',
    ]);
    for (const check of report.checks) expect(check.status === 'ok' || typeof check.fix === 'string', check.id).toBe(true);
    expect(result.exitCode).toBe(report.passed ? 0 : 1);
  }, 60_000);

  it('exits 2 for an unknown provider or profile, and has --help with its exit codes', async () => {
    const provider = await cli('doctor', '--provider', 'docker');
    expect(provider.exitCode).toBe(2);
    expect(provider.stderr).toContain('unknown provider "docker" (allowed: kind, lab, kubeconfig)');
    const profile = await cli('doctor', '--provider', 'kind', '--profile', 'nope');
    expect(profile.exitCode).toBe(2);
    expect(profile.stderr).toContain('--profile: unknown profile "nope"');
    const labProfile = await cli('doctor', '--provider', 'lab', '--profile', 'lab:nope');
    expect(labProfile.exitCode).toBe(2);
    expect(labProfile.stderr).toContain('--profile: unknown profile "lab:nope"');
    // A flag of another provider is refused as `run` refuses it, never silently ignored.
    const misplaced = await cli('doctor', '--provider', 'lab', '--pins', 'x.yaml');
    expect(misplaced.exitCode).toBe(2);
    expect(misplaced.stderr).toContain('--pins belongs to --provider kind or kubeconfig, not to lab');
    const help = await cli('doctor', '--help');
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain('Usage: breachmatrix doctor');
    expect(help.stdout).toContain('0 every check passed · 1 a check failed · 2 bad input');
    expect((await cli('--help')).stdout).toMatch(/^ {2}doctor\b/m);
  });

  it('run --provider kind runs the same checks first and stops before creating anything (exit 2) when one fails', async () => {
    // A PATH without docker makes the failure the same on every machine, engine or not.
    const result = await execa(process.execPath, [BIN, 'run', '--provider', 'kind', '--profile', 'kindnet', '--out', NEVER_CREATED], {
      reject: false,
      env: { NO_COLOR: '1', CI: 'true', PATH: dirname(process.execPath) },
    });
    expect(result.exitCode, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/^FAIL {2}Docker client: docker is not installed/m);
    expect(result.stderr).toMatch(/^ {6}fix: install Docker/m);
    expect(result.stderr).toMatch(/run --provider kind: host checks failed: Docker client, Docker engine/);
    expect(result.stderr).not.toContain('breachmatrix run ');
    expect(existsSync(NEVER_CREATED)).toBe(false);
    const unknown = await cli('run', '--provider', 'lab', '--skip-check', 'kind.inotify', '--out', NEVER_CREATED);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain('--skip-check: unknown check "kind.inotify" for provider lab');
  }, 60_000);
});
