import { randomBytes } from 'node:crypto';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boundUdp, listeningTcp, listeningTcpOnceEnough, parseSsListening, parseTcpInUse, tcpSocketsInUse } from './listening-sockets.ts';
import { socketInodes } from './proc-sockets.ts';

describe('parseSsListening', () => {
  it('reads the port and inode of each listening socket, IPv4 and IPv6, and nothing else', () => {
    const text = [
      'LISTEN 0      128          0.0.0.0:15001      0.0.0.0:* ino:17423689 sk:46 cgroup:/ <->',
      'LISTEN 0      4096            [::]:8080         [::]:* ino:5512 sk:47 cgroup:/ v6only:1 <->',
      'ESTAB  0      0       10.0.0.1:5432  10.0.0.2:4000 ino:99 sk:48 cgroup:/ <->',
      '',
    ].join('\n');
    expect(parseSsListening(text)).toEqual([
      { protocol: 'TCP', port: 15001, inode: 17423689 },
      { protocol: 'TCP', port: 8080, inode: 5512 },
    ]);
  });
});

describe('parseTcpInUse', () => {
  it('adds the IPv4 and IPv6 TCP sockets in use; unknown when either file is missing or unreadable', () => {
    const sockstat = 'sockets: used 12\nTCP: inuse 3 orphan 0 tw 1 alloc 400 mem 2\nUDP: inuse 1 mem 0\n';
    expect(parseTcpInUse(sockstat, 'TCP6: inuse 2\nUDP6: inuse 0\n')).toBe(5);
    expect(parseTcpInUse(sockstat, '')).toBeUndefined();
    expect(parseTcpInUse('', 'TCP6: inuse 2\n')).toBeUndefined();
    expect(parseTcpInUse('UDP: inuse 4 mem 0\n', 'TCP6: inuse 0\n')).toBeUndefined();
  });
});

describe('sockets of a network namespace (real kernel)', () => {
  const netns = `bm-it-listen-${randomBytes(3).toString('hex')}`;
  let server: ResultPromise | undefined;

  beforeAll(async () => {
    await execa('ip', ['netns', 'add', netns]);
    // One TCP listener and one UDP socket in the namespace, printed once both are bound.
    server = execa('ip', [
      'netns', 'exec', netns, 'python3', '-c',
      'import socket,sys,time\nt=socket.socket();t.bind(("0.0.0.0",18080));t.listen()\nu=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);u.bind(("0.0.0.0",18053))\nprint("up",flush=True)\ntime.sleep(60)',
    ], { reject: false });
    await new Promise<void>((resolve) => server?.stdout?.once('data', () => resolve()));
  });

  afterAll(async () => {
    server?.kill('SIGKILL');
    await server;
    await execa('ip', ['netns', 'del', netns], { reject: false });
  });

  it('lists the namespace’s TCP listener with the inode its process holds, and only that namespace’s', async () => {
    const pid = server?.pid ?? -1;
    const [sockets, owned] = await Promise.all([listeningTcp(netns), socketInodes(pid)]);
    const listener = sockets.find((socket) => socket.port === 18080);
    expect(listener).toBeDefined();
    expect(owned.has(listener?.inode ?? -1)).toBe(true);
    expect(sockets.every((socket) => owned.has(socket.inode))).toBe(true);
  });

  it('lists its UDP socket from /proc', async () => {
    expect((await boundUdp(server?.pid ?? -1)).map((socket) => socket.port)).toContain(18053);
    expect(await boundUdp(2 ** 22 + 7)).toEqual([]);
  });

  it('counts the namespace\'s TCP sockets in use without a process, and skips ss while they are too few', async () => {
    const pid = server?.pid ?? -1;
    // The server's one listener; nothing else of this fresh namespace holds a TCP socket.
    expect(await tcpSocketsInUse(pid)).toBe(1);
    expect(await tcpSocketsInUse(2 ** 22 + 7)).toBeUndefined();
    // Two ports cannot both listen on one socket: [] without asking ss (which would list 18080).
    expect(await listeningTcpOnceEnough(netns, pid, 2)).toEqual([]);
    expect((await listeningTcpOnceEnough(netns, pid, 1)).map((socket) => socket.port)).toEqual([18080]);
    // A vanished process proves nothing: ss decides.
    expect((await listeningTcpOnceEnough(netns, 2 ** 22 + 7, 1)).map((socket) => socket.port)).toEqual([18080]);
  });

  it('fails, naming the namespace, when it does not exist', async () => {
    await expect(listeningTcp('bm-it-no-such-namespace')).rejects.toThrow(/bm-it-no-such-namespace/);
  });
});
