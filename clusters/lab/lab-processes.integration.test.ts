import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { PodHandle } from '../../core/domain/cluster.ts';
import { spawnHost } from '../../core/host/spawn-host.ts';
import { pod } from '../../manifests/pod-builder.ts';
import { LabCluster } from './lab-cluster.ts';
import { POD_SYSCTLS } from './lab-pods.ts';
import { labProfile } from './testing/lab-profile.ts';
import { listNetns } from './topology.ts';

/**
 * Real lab (needs root). What a pod start and an evidence read cost in host processes, and that the cheaper path keeps the pod's
 * sysctls: its sandbox's PID 1 writes them (no `sysctl` process), and one `ip` batch in the node's namespace makes
 * the pod's namespace, veth and node side (the pod side is the second).
 */
const namespace = (name: string) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: {} } });
const READ_SYSCTLS = ['cat', '/proc/sys/net/ipv4/ping_group_range', '/proc/sys/net/ipv6/conf/all/disable_ipv6'];
const expectedSysctls = `${POD_SYSCTLS['net.ipv4.ping_group_range'].replace(' ', '\t')}\n${POD_SYSCTLS['net.ipv6.conf.all.disable_ipv6']}\n`;

/** The command each host process ran, past `nsenter …` / `ip netns exec <ns>` wrappers. */
function tool(file: string, args: readonly string[]): string {
  const argv = [file, ...args];
  for (;;) {
    if (argv[0] === 'ip' && argv[1] === 'netns' && argv[2] === 'exec') argv.splice(0, 4);
    else if (argv[0] === 'nsenter' && argv.includes('--')) argv.splice(0, argv.indexOf('--') + 1);
    else if (argv[0] === 'nsenter') argv.splice(0, argv.findIndex((arg, i) => i > 0 && !arg.startsWith('-')));
    else break;
  }
  return argv.slice(0, 2).join(' ');
}

describe('lab host processes per pod start and evidence read (real kernel)', () => {
  let lab: LabCluster;

  beforeAll(async () => {
    lab = await LabCluster.create(labProfile('lab:netpol'), { runId: 'it', onProgress: () => undefined });
    await lab.apply([namespace('bm-app')]);
  });

  afterAll(async () => {
    vi.restoreAllMocks();
    await lab?.teardown();
  });

  async function startCounting(build: () => Promise<PodHandle>): Promise<{ pod: PodHandle; tools: string[] }> {
    const host = spawnHost();
    const tools: string[] = [];
    const originalRun = host.run.bind(host);
    const originalStart = host.start.bind(host);
    const run = vi.spyOn(host, 'run').mockImplementation((file, args, options) => {
      tools.push(tool(file, args));
      return originalRun(file, args, options);
    });
    const start = vi.spyOn(host, 'start').mockImplementation((file, args, options) => {
      tools.push(tool(file, args));
      return originalStart(file, args, options);
    });
    try {
      return { pod: await build(), tools };
    } finally {
      run.mockRestore();
      start.mockRestore();
    }
  }

  const create = async (builder: ReturnType<typeof pod>): Promise<PodHandle> => {
    const created = await lab.createPod(builder.build(), { timeoutMs: 10_000 });
    if (created.status !== 'running') throw new Error(`pod did not start: ${JSON.stringify(created)}`);
    return created.pod;
  };

  it('a pod with its own network: two ip batches, no sysctl process, POD_SYSCTLS in force inside', async () => {
    const { pod: started, tools } = await startCounting(() => create(pod('plain', 'bm-app').runAsUser(1000)));
    expect(tools.filter((name) => name === 'ip -batch')).toHaveLength(2);
    expect(tools.filter((name) => name.startsWith('sysctl'))).toEqual([]);
    expect(tools.filter((name) => name.startsWith('unshare'))).toHaveLength(1);
    const read = await started.exec(READ_SYSCTLS, { timeoutMs: 5_000 });
    expect(read.exitCode).toBe(0);
    expect(read.stdout).toBe(expectedSysctls);
    // The pod's network works: its gateway (the node end of its veth) answers on the pod side.
    const route = await started.exec(['ip', '-4', 'route', 'show', 'default'], { timeoutMs: 5_000 });
    expect(route.stdout).toMatch(/^default via \S+ dev eth0/);
  });

  it('a hostPID pod with its own network has no sandbox of its own: its sysctls still come from a sysctl process', async () => {
    const { pod: started, tools } = await startCounting(() => create(pod('hostpid', 'bm-app').hostPid()));
    expect(tools.filter((name) => name.startsWith('sysctl'))).toHaveLength(1);
    const read = await started.exec(READ_SYSCTLS, { timeoutMs: 5_000 });
    expect(read.stdout).toBe(expectedSysctls);
  });

  it('readiness: no ss while the namespace holds fewer TCP sockets than the pod declares ports', async () => {
    // The server binds 0.6 s after it starts: today's 20 ms polls would have asked ss ~30 times.
    const server = 'import socket,time\ntime.sleep(0.6)\ns=socket.socket()\ns.bind(("0.0.0.0",8080))\ns.listen()\ntime.sleep(600)';
    const { pod: started, tools } = await startCounting(() => create(pod('late', 'bm-app').exposePort(8080).withCommand('python3', '-c', server)));
    const ss = tools.filter((name) => name.startsWith('ss'));
    // Once listen() made the socket count, one ss confirms the port.
    expect(ss).toHaveLength(1);
    const reached = await started.exec(['python3', '-c', 'import socket; socket.create_connection(("127.0.0.1", 8080), 2); print("ok")'], { timeoutMs: 5_000 });
    expect(reached.stdout.trim()).toBe('ok');
  });

  it('drop counters asked for at once share one nft read per node; each caller\'s read starts after its call', async () => {
    const nodes = (await lab.addresses()).nodes.length;
    const host = spawnHost();
    const run = host.run.bind(host);
    const nft: string[] = [];
    const spy = vi.spyOn(host, 'run').mockImplementation((file, args, options) => {
      if (tool(file, args) === 'nft -j') nft.push(args.join(' '));
      return run(file, args, options);
    });
    try {
      const reads = await Promise.all(Array.from({ length: 8 }, () => lab.dropCounters()));
      expect(reads).toHaveLength(8);
      // The first call's read, then one read for the seven that asked while it ran.
      expect(nft).toHaveLength(2 * nodes);
      await lab.dropCounters();
      expect(nft).toHaveLength(3 * nodes);
    } finally {
      spy.mockRestore();
    }
  });

  it('pods deleted at once share ip -force batches, and every namespace of theirs is gone', async () => {
    const pods = await Promise.all(['del-a', 'del-b', 'del-c', 'del-d'].map((name) => create(pod(name, 'bm-app'))));
    // Each pod's namespace by inode (other labs on this host make namespaces of their own meanwhile).
    const theirs = await Promise.all(pods.map(async (started) => (await started.exec(['readlink', '/proc/self/ns/net'], { timeoutMs: 5_000 })).stdout.trim()));
    expect(new Set(theirs).size).toBe(4);
    const named = async (): Promise<string[]> =>
      (await Promise.all((await listNetns()).map(async (name) => `net:[${(await stat(join('/run/netns', name)).catch(() => undefined))?.ino}]`)));
    for (const inode of theirs) expect(await named()).toContain(inode);
    const host = spawnHost();
    const run = host.run.bind(host);
    const deletes: string[] = [];
    const spy = vi.spyOn(host, 'run').mockImplementation((file, args, options) => {
      if (tool(file, args) === 'ip -force') deletes.push(options.input ?? '');
      return run(file, args, options);
    });
    try {
      await Promise.all(pods.map((started) => started[Symbol.asyncDispose]()));
    } finally {
      spy.mockRestore();
    }
    // The first pod's deletion, then one batch for the three that asked while it ran (today: one each).
    expect(deletes.length).toBeLessThanOrEqual(2);
    expect(deletes.join('').match(/netns del /g)).toHaveLength(4);
    const after = await named();
    for (const inode of theirs) expect(after).not.toContain(inode);
  });
});
