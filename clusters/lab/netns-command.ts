/**
 * A host tool run inside a lab network namespace: `nsenter --net=/run/netns/<name> <tool> …`.
 *
 * Not `ip netns exec` (nor `ip -n`): those also unshare a mount namespace and remount /sys. 100 calls of `true` on
 * this 2-core host: 2.1 against 1.5 ms a call when idle, 45 against 8 ms at load average ~16. Only a
 * process that must see the namespace's /etc/netns/<name> files (resolv.conf, hostname) or its /sys needs them:
 * pod sandboxes and the services started in them keep `ip netns exec`. Tools that only speak netlink or write
 * /proc/sys/net (nft, iptables, ip, sysctl) act on the namespace they run in either way.
 */
export function netnsCommand(netns: string, file: string, args: readonly string[]): [string, string[]] {
  return ['nsenter', [`--net=/run/netns/${netns}`, '--', file, ...args]];
}
