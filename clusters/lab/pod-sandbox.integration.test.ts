import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { netSysctlPath, startSandbox } from './pod-sandbox.ts';
import { ProcessRegistry } from './process-registry.ts';

/** Real network namespace and processes (needs root): the sandbox's PID 1 sets the pod's sysctls itself. */
const NETNS = `bmt-sandbox-${process.pid}`;
const sysctlIn = (initPid: number, key: string): string => {
  const read = spawnSync('nsenter', ['--target', String(initPid), '--net', 'cat', netSysctlPath(key)], { encoding: 'utf8' });
  if (read.status !== 0) throw new Error(`cannot read ${key}: ${read.stderr}`);
  return read.stdout.trim();
};

describe('pod sandbox setup (real kernel)', () => {
  const registry = new ProcessRegistry();
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bm-sandbox-'));
    const made = spawnSync('ip', ['netns', 'add', NETNS], { encoding: 'utf8' });
    if (made.status !== 0) throw new Error(`ip netns add ${NETNS}: ${made.stderr}`);
  });

  afterAll(async () => {
    await registry.killAll();
    spawnSync('ip', ['netns', 'del', NETNS]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the sysctls in the sandbox\'s network namespace before it counts as started', async () => {
    // A fresh namespace's defaults differ from both values ("1 0" and 0), so only the sandbox can have set them.
    const sandbox = await startSandbox(registry, NETNS, 'sysctls', join(dir, 'ok.log'), {
      sysctls: { 'net.ipv4.ping_group_range': '0 2147483647', 'net.ipv6.conf.all.disable_ipv6': '1' },
    });
    expect(sysctlIn(sandbox.initPid, 'net.ipv4.ping_group_range')).toBe('0\t2147483647');
    expect(sysctlIn(sandbox.initPid, 'net.ipv6.conf.all.disable_ipv6')).toBe('1');
    await registry.stop(sandbox.process);
  });

  it('a refused sysctl write fails the start, naming the sysctl and the value', async () => {
    const start = startSandbox(registry, NETNS, 'bad sysctl', join(dir, 'bad.log'), { sysctls: { 'net.ipv4.ping_group_range': 'not a range' } });
    await expect(start).rejects.toThrow(/sandbox bad sysctl in .* did not start: its setup failed: .*cannot set sysctl net\.ipv4\.ping_group_range to 'not a range'/s);
    expect(registry.pids()).toEqual([]);
  });

  it('refuses a sysctl outside net. (it would be the host\'s), before starting anything', async () => {
    await expect(startSandbox(registry, NETNS, 'host sysctl', join(dir, 'host.log'), { sysctls: { 'vm.swappiness': '1' } })).rejects.toThrow(/not a network sysctl/);
    expect(registry.pids()).toEqual([]);
  });
});
