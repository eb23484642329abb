import { readFile } from 'node:fs/promises';
import { InfrastructureError } from '../../core/domain/errors.ts';
import { runCommand } from './host-command.ts';
import { parseProcNetTable, type BoundSocket } from './proc-sockets.ts';
import { TIMEOUTS } from '../../core/timeouts.ts';

/**
 * Parses `ss -Hltne` (listening TCP sockets, numeric, no header, with the socket inode), e.g.
 * `LISTEN 0 128 0.0.0.0:15001 0.0.0.0:* ino:17423689 sk:46 cgroup:/ <->` or `… [::]:8080 [::]:* ino:…`.
 */
export function parseSsListening(text: string): BoundSocket[] {
  const sockets: BoundSocket[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    const local = fields[3];
    const inodeField = fields.find((field) => field.startsWith('ino:'));
    if (fields[0] !== 'LISTEN' || local === undefined || inodeField === undefined) continue;
    const port = Number(local.slice(local.lastIndexOf(':') + 1));
    const inode = Number(inodeField.slice('ino:'.length));
    if (Number.isInteger(port) && port > 0 && Number.isInteger(inode)) sockets.push({ protocol: 'TCP', port, inode });
  }
  return sockets;
}

/**
 * TCP sockets listening in the lab network namespace `netns`, from the kernel's socket diagnostics (`ss` over
 * netlink, asking for listening sockets only). Not /proc/<pid>/net/tcp: the kernel builds that file by walking the
 * host's whole TCP hash table (sized by memory), whatever the namespace holds — 4.5 ms of kernel time per read of
 * tcp or tcp6 on this idle 24 GiB host, 20–26 ms wall at load ~16 — and the readiness polls read both ~700 times a
 * run. `nsenter … ss` costs ~3 ms of CPU in all.
 */
export async function listeningTcp(netns: string): Promise<BoundSocket[]> {
  const result = await runCommand('nsenter', [`--net=/run/netns/${netns}`, 'ss', '-Hltne'], { timeoutMs: TIMEOUTS.labSocketListMs });
  if (result.exitCode !== 0) {
    throw new InfrastructureError('lab', `cannot list the listening sockets of ${netns}: ${result.timedOut ? 'timed out' : result.stderr.trim().slice(0, 500)}`);
  }
  return parseSsListening(result.stdout);
}

/** The TCP sockets in use (IPv4 and IPv6) from /proc/<pid>/net/sockstat and sockstat6; undefined if either is unreadable. */
export function parseTcpInUse(sockstat: string, sockstat6: string): number | undefined {
  const v4 = /^TCP: inuse (\d+)/m.exec(sockstat);
  const v6 = /^TCP6: inuse (\d+)/m.exec(sockstat6);
  return v4?.[1] === undefined || v6?.[1] === undefined ? undefined : Number(v4[1]) + Number(v6[1]);
}

/**
 * How many TCP sockets the network namespace of process `pid` holds in its hash tables, listening ones among them
 * (the kernel counts a socket in `inuse` from listen() or connect on): per-namespace counters, no table walk, no
 * process. Undefined when the files cannot be read (process gone): then nothing can be concluded.
 */
export async function tcpSocketsInUse(pid: number): Promise<number | undefined> {
  const [sockstat, sockstat6] = await Promise.all(['sockstat', 'sockstat6'].map((file) => readFile(`/proc/${pid}/net/${file}`, 'utf8').catch(() => '')));
  return parseTcpInUse(sockstat ?? '', sockstat6 ?? '');
}

/**
 * listeningTcp, but without the `ss` process while the namespace of `pid` (a process inside it) holds fewer TCP
 * sockets than `ports` distinct ports need: then not all of them listen yet, and [] says no more than that. A
 * readiness poll's first look usually comes before the server has bound; this makes that look cost two file reads.
 */
export async function listeningTcpOnceEnough(netns: string, pid: number, ports: number): Promise<BoundSocket[]> {
  const inUse = await tcpSocketsInUse(pid);
  if (inUse !== undefined && inUse < ports) return [];
  return listeningTcp(netns);
}

/** UDP sockets bound in the network namespace process `pid` is in ([] when it is gone); /proc is cheap for UDP. */
export async function boundUdp(pid: number): Promise<BoundSocket[]> {
  const tables = await Promise.all(['udp', 'udp6'].map((file) => readFile(`/proc/${pid}/net/${file}`, 'utf8').catch(() => '')));
  return tables.flatMap((table) => parseProcNetTable(table, 'UDP'));
}
