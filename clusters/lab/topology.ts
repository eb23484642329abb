import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TIMEOUTS } from '../../core/timeouts.ts';
import { LAB_ADDRESSES, type LabNodePlan } from './addressing.ts';
import { mustRun, runCommand } from './host-command.ts';
import type { LabNames } from './lab-names.ts';
import { netnsCommand } from './netns-command.ts';

const STEP_MS = TIMEOUTS.labPodReadyMs;

/** `ip -batch` in the root namespace (netns creation, veths created directly inside lab namespaces). */
export async function ipBatch(lines: readonly string[]): Promise<void> {
  if (lines.length === 0) return;
  await mustRun('ip', ['-batch', '-'], { input: `${lines.join('\n')}\n`, timeoutMs: STEP_MS });
}

/** `ip -batch` inside one network namespace. */
export async function ipBatchIn(netns: string, lines: readonly string[]): Promise<void> {
  if (lines.length === 0) return;
  await mustRun(...netnsCommand(netns, 'ip', ['-batch', '-']), { input: `${lines.join('\n')}\n`, timeoutMs: STEP_MS });
}

/** Sets sysctls of one namespace in a single process. */
export async function sysctlIn(netns: string, settings: Readonly<Record<string, string>>): Promise<void> {
  const pairs = Object.entries(settings).map(([key, value]) => `${key}=${value}`);
  await mustRun(...netnsCommand(netns, 'sysctl', ['-q', '-w', ...pairs]), { timeoutMs: STEP_MS });
}

const ROUTER_SYSCTLS = {
  'net.ipv4.ip_forward': '1',
  'net.ipv4.conf.all.rp_filter': '0',
  'net.ipv4.conf.default.rp_filter': '0',
  // No IPv6 inside the lab: the model is IPv4 only, and v6 must not offer a path around the rules.
  'net.ipv6.conf.all.disable_ipv6': '1',
  'net.ipv6.conf.default.disable_ipv6': '1',
};

/** Writes the files `ip netns exec` binds over /etc for processes of that namespace (resolv.conf, hosts). */
export async function writeNetnsEtc(netns: string, files: Readonly<Record<string, string>>): Promise<void> {
  const dir = join('/etc/netns', netns);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  await Promise.all(Object.entries(files).map(([name, text]) => writeFile(join(dir, name), text, { mode: 0o644 })));
}

export async function removeNetnsEtc(netns: string): Promise<void> {
  await rm(join('/etc/netns', netns), { recursive: true, force: true });
}

/**
 * The fixed part of a lab: the underlay (fabric) namespace with a bridge joining the nodes and a routed link to
 * the internet namespace; node namespaces routing their pod CIDRs; the internet namespace holding the sink's
 * TEST-NET address and the link-local metadata address. Nothing is linked to the root namespace.
 */
export async function buildTopology(names: LabNames, nodes: readonly LabNodePlan[]): Promise<void> {
  const namespaces = [names.fabric, names.internet, ...nodes.map((node) => names.node(node.index))];
  await ipBatch([
    ...namespaces.map((ns) => `netns add ${ns}`),
    ...nodes.map(
      (node) => `link add eth0 netns ${names.node(node.index)} type veth peer name ${names.nodeUplink(node.index)} netns ${names.fabric}`,
    ),
    `link add eth0 netns ${names.internet} type veth peer name inet netns ${names.fabric}`,
  ]);

  const fabric = [
    'link set lo up',
    'link add fab0 type bridge',
    'link set fab0 up',
    `addr add ${LAB_ADDRESSES.underlayGateway}/${LAB_ADDRESSES.underlayPrefix} dev fab0`,
    ...nodes.map((node) => `link set ${names.nodeUplink(node.index)} master fab0 up`),
    'link set inet up',
    `addr add ${LAB_ADDRESSES.internetGateway}/${LAB_ADDRESSES.internetPrefix} dev inet`,
    ...nodes.map((node) => `route add ${node.podCidr} via ${node.ip}`),
    `route add ${LAB_ADDRESSES.metadataIp}/32 via ${LAB_ADDRESSES.sinkIp}`,
  ];
  const internet = [
    'link set lo up',
    'link set eth0 up',
    `addr add ${LAB_ADDRESSES.sinkIp}/${LAB_ADDRESSES.internetPrefix} dev eth0`,
    `addr add ${LAB_ADDRESSES.metadataIp}/32 dev lo`,
    `route add default via ${LAB_ADDRESSES.internetGateway}`,
  ];
  const nodeBatches = nodes.map((node) => ({
    netns: names.node(node.index),
    lines: [
      'link set lo up',
      'link set eth0 up',
      `addr add ${node.ip}/${LAB_ADDRESSES.underlayPrefix} dev eth0`,
      `route add default via ${LAB_ADDRESSES.underlayGateway}`,
      ...nodes.filter((other) => other.index !== node.index).map((other) => `route add ${other.podCidr} via ${other.ip}`),
    ],
  }));

  await Promise.all([
    ipBatchIn(names.fabric, fabric),
    ipBatchIn(names.internet, internet),
    ...nodeBatches.map((batch) => ipBatchIn(batch.netns, batch.lines)),
    sysctlIn(names.fabric, ROUTER_SYSCTLS),
    sysctlIn(names.internet, { 'net.ipv6.conf.all.disable_ipv6': '1', 'net.ipv4.ping_group_range': '0 2147483647' }),
    ...nodes.map((node) => sysctlIn(names.node(node.index), { ...ROUTER_SYSCTLS, 'net.ipv4.ping_group_range': '0 2147483647' })),
  ]);
}

/** Names of existing network namespaces. */
export async function listNetns(): Promise<string[]> {
  const result = await runCommand('ip', ['-j', 'netns', 'list'], { timeoutMs: STEP_MS });
  if (result.exitCode !== 0 || result.stdout.trim() === '') return [];
  const parsed: unknown = JSON.parse(result.stdout);
  if (!Array.isArray(parsed)) return [];
  return parsed
    .map((entry: unknown) =>
      typeof entry === 'object' && entry !== null && 'name' in entry && typeof entry.name === 'string' ? entry.name : '',
    )
    .filter((name) => name !== '');
}

/** PIDs of every process whose network namespace is `netns` (whatever started it). */
export async function netnsPids(netns: string): Promise<number[]> {
  const result = await runCommand('ip', ['netns', 'pids', netns], { timeoutMs: STEP_MS });
  if (result.exitCode !== 0) return [];
  return result.stdout
    .split('\n')
    .map((line) => Number(line.trim()))
    .filter((pid) => Number.isInteger(pid) && pid > 0);
}

/** Deletes namespaces (their veths go with them) in one `ip -batch`; `-force` keeps going past missing ones. */
export async function deleteNetns(namespaces: readonly string[]): Promise<void> {
  if (namespaces.length === 0) return;
  await runCommand('ip', ['-force', '-batch', '-'], {
    input: `${namespaces.map((ns) => `netns del ${ns}`).join('\n')}\n`,
    timeoutMs: STEP_MS,
  });
}
