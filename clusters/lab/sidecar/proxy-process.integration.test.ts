import { execa } from 'execa';
import { chmod, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { spawnHost } from '../../../core/host/spawn-host.ts';
import { ProxyProcess } from './proxy-process.ts';

/** Live (not zombie) processes whose command line mentions `text`. */
async function liveWith(text: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await readdir('/proc')).filter((entry) => /^\d+$/.test(entry))) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    if (cmdline.includes(text) && stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z') found.push(pid);
  }
  return found;
}

describe('ProxyProcess start that never becomes ready', () => {
  it('throws and leaves no haproxy behind (no pod holds it, so nothing else would ever stop it); no ss while it holds too few sockets', async () => {
    // A namespace of this test only (not a lab name: no sweep would ever consider it).
    const netns = `bmtest-proxy-${randomBytes(4).toString('hex')}`;
    const dir = await mkdtemp(join(tmpdir(), 'bm-proxy-'));
    await chmod(dir, 0o755);
    const configPath = join(dir, 'haproxy.cfg');
    // Valid, but it listens on none of the sidecar's ports: the start waits out its deadline.
    await writeFile(configPath, 'global\n  maxconn 16\ndefaults\n  mode tcp\n  timeout connect 1s\n  timeout client 1s\n  timeout server 1s\nfrontend idle\n  bind 127.0.0.1:18999\n  default_backend none\nbackend none\n', { mode: 0o644 });
    await execa('ip', ['netns', 'add', netns]);
    try {
      await execa('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
      const proxy = new ProxyProcess({ netns, configPath, accessLogPath: join(dir, 'access.log'), errorLogPath: join(dir, 'error.log'), component: 'test-sidecar' });
      // One listener for the sidecar's four ports: every poll is answered from its descriptors, none by an `ss`.
      const host = spawnHost();
      const run = host.run.bind(host);
      const ssRuns: string[][] = [];
      const spy = vi.spyOn(host, 'run').mockImplementation((file, args, options) => {
        if (args.includes('ss')) ssRuns.push([file, ...args]);
        return run(file, args, options);
      });
      try {
        await expect(proxy.start()).rejects.toThrow(/haproxy not ready within/);
      } finally {
        spy.mockRestore();
      }
      expect(ssRuns).toEqual([]);
      expect(proxy.running).toBe(false);
      expect(await liveWith(configPath)).toEqual([]);
    } finally {
      for (const pid of await liveWith(configPath)) process.kill(Number(pid), 'SIGKILL');
      await execa('ip', ['netns', 'del', netns], { reject: false });
      await rm(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
