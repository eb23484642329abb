import { readFile } from 'node:fs/promises';
import { execa } from 'execa';

/**
 * The root network namespace as the host sees it: what a lab must leave exactly as it found it. Only objects a
 * lab could touch in the root namespace are listed (rulesets, routes, rules, links, the sysctls the lab sets in
 * its own namespaces); counters are dropped, they move with any traffic. `ip netns list` is not part of it: named
 * namespaces are files under /run/netns, and other labs add and remove theirs at any moment.
 */
export const LAB_TOUCHED_SYSCTLS = [
  'net/ipv4/ip_forward',
  'net/ipv4/conf/all/rp_filter',
  'net/ipv4/conf/default/rp_filter',
  'net/ipv6/conf/all/disable_ipv6',
  'net/ipv6/conf/default/disable_ipv6',
  'net/ipv4/ping_group_range',
] as const;

const COMMANDS: readonly (readonly string[])[] = [
  ['nft', 'list', 'ruleset'],
  ['iptables-save'],
  ['ip6tables-save'],
  ['ip', '-o', 'link', 'show'],
  ['ip', '-o', 'addr', 'show'],
  ['ip', 'route', 'show', 'table', 'all'],
  ['ip', '-6', 'route', 'show', 'table', 'all'],
  ['ip', 'rule', 'show'],
  ['ip', '-6', 'rule', 'show'],
];

function withoutCounters(text: string): string {
  return text
    .split('\n')
    .filter((line) => !line.startsWith('#'))
    .map((line) => line.replace(/\[\d+:\d+\]/g, '[-]').replace(/counter packets \d+ bytes \d+/g, 'counter').replace(/(valid|preferred)_lft \S+/g, '$1_lft -'))
    .join('\n');
}

export async function rootNamespaceSnapshot(): Promise<Record<string, string>> {
  const snapshot: Record<string, string> = {};
  for (const command of COMMANDS) {
    const [file = '', ...args] = command;
    const result = await execa(file, args, { reject: false, cwd: '/' });
    snapshot[command.join(' ')] = `exit ${result.exitCode ?? 'none'}\n${withoutCounters(result.stdout)}`;
  }
  for (const key of LAB_TOUCHED_SYSCTLS) snapshot[`sysctl ${key}`] = (await readFile(`/proc/sys/${key}`, 'utf8')).trim();
  return snapshot;
}
