import { chmod, lstat, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { memoryProvider } from '../../clusters/memory/memory-cluster.ts';
import { labProfiles } from '../config/profiles-config.ts';
import type { Profile } from '../domain/profile.ts';
import { runMatrix } from './run-matrix.ts';
import { EXPECT_BLOCKED_BY_CNI, syntheticAttack } from './testing/synthetic-attack.ts';
import { testRunOptions } from './testing/test-run-options.ts';

/** The first unix socket found in `dir` or one level below it. */
async function findSocket(dir: string): Promise<string | undefined> {
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const path = join(dir, name);
    const info = await lstat(path).catch(() => undefined);
    if (info?.isSocket() === true) return path;
    if (info?.isDirectory() === true) {
      for (const inner of await readdir(path).catch(() => [] as string[])) {
        if ((await lstat(join(path, inner)).catch(() => undefined))?.isSocket() === true) return join(path, inner);
      }
    }
  }
  return undefined;
}

describe('runMatrix under umask 000 (another user on the host)', () => {
  const saved = { tmpdir: process.env['TMPDIR'], umask: process.umask() };
  let base = '';
  afterAll(async () => {
    process.umask(saved.umask);
    if (saved.tmpdir === undefined) delete process.env['TMPDIR'];
    else process.env['TMPDIR'] = saved.tmpdir;
    await rm(base, { recursive: true, force: true });
  });

  it('the broker socket answers root only; out dir 0755 and results.jsonl 0644; nothing of the broker is left', async () => {
    base = await mkdtemp(join(tmpdir(), 'bm-run-umask-'));
    await chmod(base, 0o755);
    const sharedTmp = join(base, 'tmp');
    await mkdir(sharedTmp);
    await chmod(sharedTmp, 0o1777);
    process.env['TMPDIR'] = sharedTmp;
    process.umask(0o000);
    const profile = labProfiles().find((candidate) => candidate.id === 'lab:netpol') as Profile;
    const outDir = join(base, 'out');
    const running = runMatrix(
      await testRunOptions(
        {
          provider: memoryProvider(() => ({ signal: 'timeout', delayMs: 400, evidence: [{ layer: 'cni', source: 'nft-counter', verdict: 'denied', raw: 'drop' }] })),
          profiles: [profile],
          attacks: [syntheticAttack({ id: 'U1', expected: EXPECT_BLOCKED_BY_CNI })],
          // The scene and one policy group: the scene self-test sees the policies take effect before the attack.
          renderScene: () => [
            [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bm-app' } }],
            [{ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'bm-default-deny', namespace: 'bm-app' } }],
          ],
        },
        { outDir, runId: `umask${Date.now()}`, concurrency: 1, profileConcurrency: 1 },
      ),
    );
    let finished = false;
    void running.finally(() => (finished = true));
    let socket: string | undefined;
    while (socket === undefined && !finished) {
      socket = await findSocket(sharedTmp);
      await sleep(10);
    }
    expect(socket).toBeDefined();
    const asOther = await execa(
      'setpriv',
      ['--reuid', '1337', '--regid', '1337', '--clear-groups', 'curl', '-sS', '--unix-socket', socket ?? '', '-X', 'POST', '-d', '{"profileId":"lab:netpol","attackId":"U1"}', 'http://broker/execute'],
      { reject: false, cwd: '/' },
    );
    const run = await running;
    expect(run.cells).toHaveLength(1);
    expect({ exitCode: asOther.exitCode, answer: asOther.stdout }).toEqual({ exitCode: 7, answer: '' });
    expect(((await lstat(outDir)).mode & 0o7777).toString(8)).toBe('755');
    expect(((await lstat(run.resultsPath)).mode & 0o7777).toString(8)).toBe('644');
    expect(await readdir(sharedTmp)).not.toContainEqual(expect.stringMatching(/^breachmatrix-/));
  });
});
