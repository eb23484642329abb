import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './image-paths.ts';
import { ALL_LABS, sweepLabLeftovers } from './lab-sweep.ts';
import { listNetns } from './topology.ts';

function processesMentioning(text: string): string[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text);
      } catch {
        return false;
      }
    });
}

/** Starts the fixture and resolves with the lab's name once the lab is up. */
function holdLab(): Promise<{ child: ReturnType<typeof spawn>; name: string }> {
  // node itself (not the tsx wrapper, which forks): the signalled process is the lab's owner.
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'clusters/lab/testing/hold-lab.ts')], {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: REPO_ROOT,
  });
  let output = '';
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /READY (\S+)/.exec(output);
      if (match?.[1] !== undefined) {
        child.removeAllListeners('exit');
        resolve({ child, name: match[1] });
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => reject(new Error(`fixture exited ${code} before the lab was up: ${output}`)));
  });
}

function exited(child: ReturnType<typeof spawn>): Promise<number | null> {
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

describe('lab teardown on Ctrl-C', () => {
  it('removes every namespace, /etc/netns dir and process when the run is interrupted mid-way', async () => {
    const { child, name } = await holdLab();
    // The lab really exists before the interrupt.
    expect((await listNetns()).filter((ns) => ns.startsWith(name)).length).toBeGreaterThanOrEqual(6);
    expect(processesMentioning(name).length).toBeGreaterThan(0);

    const done = exited(child);
    child.kill('SIGINT');
    const exitCode = await done;
    expect(exitCode).toBe(130);
    expect((await listNetns()).filter((ns) => ns.startsWith(name))).toEqual([]);
    expect(readdirSync('/etc/netns').filter((entry) => entry.startsWith(name))).toEqual([]);
    expect(processesMentioning(name)).toEqual([]);
  });

  it('sweepLabLeftovers removes what a crashed (SIGKILLed) run left, and nothing of a live lab', async () => {
    const crashed = await holdLab();
    const live = await holdLab();
    const gone = exited(crashed.child);
    crashed.child.kill('SIGKILL');
    expect(await gone).toBeNull();
    expect((await listNetns()).filter((ns) => ns.startsWith(crashed.name)).length).toBeGreaterThan(0);

    // Scoped to the two labs this test made: other labs on the machine are never this test's to sweep.
    const removed = await sweepLabLeftovers({ ...ALL_LABS, includes: (prefix) => prefix === crashed.name || prefix === live.name });
    expect(removed).toContain(`netns ${crashed.name}-fabric`);
    expect(removed.some((item) => item.includes(live.name))).toBe(false);
    expect((await listNetns()).filter((ns) => ns.startsWith(crashed.name))).toEqual([]);
    expect(readdirSync('/etc/netns').filter((entry) => entry.startsWith(crashed.name))).toEqual([]);
    expect(processesMentioning(crashed.name)).toEqual([]);
    expect((await listNetns()).filter((ns) => ns.startsWith(live.name)).length).toBeGreaterThan(0);

    const liveExit = exited(live.child);
    live.child.kill('SIGINT');
    expect(await liveExit).toBe(130);
  });
});
