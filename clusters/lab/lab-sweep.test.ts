import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { newLabPrefix } from './lab-names.ts';
import { ownerFilePath, processStartTime, sweepLabLeftovers, writeOwnerFile, type SweepScope } from './lab-sweep.ts';

/**
 * The sweep's decisions on labs this test makes up in a folder of its own: the predicate keeps it away from every
 * real lab on the machine (other runs' namespaces are never listed as this test's).
 */
describe('sweepLabLeftovers (scoped to labs this test made)', () => {
  const owner = spawn('sleep', ['60'], { stdio: 'ignore' });
  let base = '';
  const made: string[] = [];
  afterAll(async () => {
    owner.kill('SIGKILL');
    for (const dir of [base, ...made]) await rm(dir, { recursive: true, force: true });
  });

  async function fakeLab(prefix: string, ownerText: string | undefined): Promise<void> {
    if (ownerText !== undefined) await writeFile(ownerFilePath(base, prefix), ownerText);
    await mkdir(join(base, `${prefix}-work`));
    await writeFile(join(base, `${prefix}-work`, 'sink.log'), 'x');
  }

  it('keeps a lab whose owner (PID and start time) lives; sweeps a dead, a PID-reused and an ownerless one', async () => {
    base = await mkdtemp(join(tmpdir(), 'bm-sweep-'));
    const pid = owner.pid ?? 0;
    const startTime = processStartTime(pid);
    expect(startTime).toMatch(/^\d+$/);
    const finished = spawn('true');
    await new Promise((resolve) => finished.once('exit', resolve));

    const [live, reused, dead, ownerless, starting] = [0, 1, 2, 3, 4].map(() => newLabPrefix()) as [string, string, string, string, string];
    await fakeLab(live, JSON.stringify({ pid, startTime, runId: 'live' }));
    await fakeLab(reused, JSON.stringify({ pid, startTime: String(Number(startTime) - 1), runId: 'reused' }));
    await fakeLab(dead, JSON.stringify({ pid: finished.pid, startTime: '1', runId: 'dead' }));
    await fakeLab(ownerless, undefined);
    // A lab that is starting: its owner file is there before anything else of it.
    await writeFile(ownerFilePath(base, starting), JSON.stringify({ pid, startTime, runId: 'starting' }));

    // Labs of the previous layout: `<TMPDIR>/<prefix>-work/owner.json` holding a PID only.
    const legacyDir = await mkdtemp(join(tmpdir(), 'bm-sweep-legacy-'));
    made.push(legacyDir);
    const [legacyLive, legacyDead] = [newLabPrefix(), newLabPrefix()];
    for (const [prefix, ownerPid] of [[legacyLive, pid], [legacyDead, finished.pid]] as const) {
      await mkdir(join(legacyDir, `${prefix}-work`));
      await writeFile(join(legacyDir, `${prefix}-work`, 'owner.json'), JSON.stringify({ pid: ownerPid, runId: 'old' }));
    }

    const ours = new Set([live, reused, dead, ownerless, starting, legacyLive, legacyDead]);
    const scope: SweepScope = { baseDir: base, legacyDir, includes: (prefix) => ours.has(prefix) };
    const removed = await sweepLabLeftovers(scope);

    expect([...removed].sort()).toEqual(
      [
        ...[`${reused}-work`, `${reused}-owner.json`, `${dead}-work`, `${dead}-owner.json`, `${ownerless}-work`].map((name) => join(base, name)),
        join(legacyDir, `${legacyDead}-work`),
      ].sort(),
    );
    expect(await readdir(legacyDir)).toEqual([`${legacyLive}-work`]);
    // Owner files go after the rest of their lab.
    expect(removed.indexOf(join(base, `${dead}-owner.json`))).toBeGreaterThan(removed.indexOf(join(base, `${dead}-work`)));
    expect((await readdir(base)).sort()).toEqual([`${live}-owner.json`, `${live}-work`, `${starting}-owner.json`].sort());
  });

  it('writes the owner file atomically with this process’s PID and start time, leaving no temporary name', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bm-owner-'));
    try {
      const prefix = newLabPrefix();
      await writeOwnerFile(dir, prefix, 'run-1');
      expect(JSON.parse(await readFile(ownerFilePath(dir, prefix), 'utf8'))).toEqual({ pid: process.pid, startTime: processStartTime(process.pid), runId: 'run-1' });
      expect(await readdir(dir)).toEqual([`${prefix}-owner.json`]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
