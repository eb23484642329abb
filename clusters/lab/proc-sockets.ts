import { readdir, readlink, stat } from 'node:fs/promises';

/**
 * Which ports a network namespace has bound, read from /proc/<pid>/net/{tcp,udp}[6] of a process inside it: no
 * `ss` process per poll (dozens of pods polling at once spent more time spawning `ss` than starting).
 */
export interface BoundSocket {
  readonly protocol: 'TCP' | 'UDP';
  readonly port: number;
  readonly inode: number;
}

const TCP_LISTEN = '0A';
const UDP_UNCONNECTED = '07';

/** Parses one /proc/net/{tcp,udp} table: listening TCP sockets, or UDP sockets bound and unconnected. */
export function parseProcNetTable(text: string, protocol: 'TCP' | 'UDP'): BoundSocket[] {
  const wanted = protocol === 'TCP' ? TCP_LISTEN : UDP_UNCONNECTED;
  const sockets: BoundSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    const local = fields[1];
    const state = fields[3];
    const inode = Number(fields[9]);
    if (local === undefined || state !== wanted || !Number.isInteger(inode)) continue;
    const port = Number.parseInt(local.split(':').pop() ?? '', 16);
    if (Number.isInteger(port) && port > 0) sockets.push({ protocol, port, inode });
  }
  return sockets;
}

/** Inodes of the sockets process `pid` holds open. */
export async function socketInodes(pid: number): Promise<Set<number>> {
  const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
  const links = await Promise.all(fds.map((fd) => readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')));
  const inodes = new Set<number>();
  for (const link of links) {
    const match = /^socket:\[(\d+)\]$/.exec(link);
    if (match !== null) inodes.add(Number(match[1]));
  }
  return inodes;
}

/** Whether process `pid` is inside the named network namespace (/run/netns/<name>) yet. */
export async function inNetns(pid: number, netns: string): Promise<boolean> {
  const [mine, wanted] = await Promise.all([
    stat(`/proc/${pid}/ns/net`).catch(() => undefined),
    stat(`/run/netns/${netns}`).catch(() => undefined),
  ]);
  return mine !== undefined && wanted !== undefined && mine.ino === wanted.ino && mine.dev === wanted.dev;
}
