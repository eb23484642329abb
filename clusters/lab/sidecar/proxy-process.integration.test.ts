import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProxyProcess } from './proxy-process.ts';

/** Pids whose command line names `needle` (the test's own config path: nobody else's process can match). */
async function pidsNaming(needle: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.split('\0').includes(needle)) pids.push(Number(entry));
  }
  return pids;
}

describe.runIf(process.getuid?.() === 0)('ProxyProcess start that never becomes ready', () => {
  const netns = `bm-proxytest-${process.pid}`;
  let dir = '';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bm-proxy-'));
    await chmod(dir, 0o755);
    await execa('ip', ['netns', 'add', netns]);
  });

  afterAll(async () => {
    await execa('ip', ['netns', 'del', netns], { reject: false });
    await rm(dir, { recursive: true, force: true });
  });

  it('stops its haproxy before reporting the timeout, so nothing outlives the lab', async () => {
    // A valid configuration that binds none of the sidecar ports: haproxy runs but is never ready.
    const configPath = join(dir, 'haproxy.cfg');
    await writeFile(configPath, ['defaults', '  mode tcp', '  timeout connect 1s', '  timeout client 1s', '  timeout server 1s', 'frontend other', '  bind 127.0.0.1:15999', '  default_backend none', 'backend none', '  server s 127.0.0.1:1', ''].join('\n'), { mode: 0o644 });
    const proxy = new ProxyProcess({ netns, configPath, accessLogPath: join(dir, 'access.log'), errorLogPath: join(dir, 'error.log'), component: 'proxy-test' });
    await expect(proxy.start()).rejects.toThrow(/haproxy not ready within/);
    expect(proxy.running).toBe(false);
    expect(await pidsNaming(configPath)).toEqual([]);
    await proxy.stop();
  }, 20_000);
});
