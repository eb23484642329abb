import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './image-paths.ts';
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

describe('lab teardown on Ctrl-C', () => {
  it('removes every namespace, /etc/netns dir and process when the run is interrupted mid-way', async () => {
    const child = spawn(join(REPO_ROOT, 'node_modules/.bin/tsx'), [join(REPO_ROOT, 'clusters/lab/testing/hold-lab.ts')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const name = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /READY (\S+)/.exec(output);
        if (match?.[1] !== undefined) resolve(match[1]);
      });
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.on('exit', (code) => reject(new Error(`fixture exited ${code} before the lab was up: ${output}`)));
    });
    // The lab really exists before the interrupt.
    expect((await listNetns()).filter((ns) => ns.startsWith(name)).length).toBeGreaterThanOrEqual(6);
    expect(processesMentioning(name).length).toBeGreaterThan(0);

    const exitCode = await new Promise<number | null>((resolve) => {
      child.removeAllListeners('exit');
      child.on('exit', (code) => resolve(code));
      child.kill('SIGINT');
    });
    expect(exitCode).toBe(130);
    expect((await listNetns()).filter((ns) => ns.startsWith(name))).toEqual([]);
    expect(readdirSync('/etc/netns').filter((entry) => entry.startsWith(name))).toEqual([]);
    expect(processesMentioning(name)).toEqual([]);
  });
});
