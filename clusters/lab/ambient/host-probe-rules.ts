import { SCENE } from '../../../manifests/scene.ts';

/**
 * istio-cni's host-side rule for node-originated traffic (kubelet probes, and anything else with a socket in the
 * node's network namespace): TCP to an ambient pod of this node is SNATed to 169.254.7.127, which the pod's in-pod
 * rules accept without capture, so it reaches the app in plaintext despite STRICT.
 *
 * istio-cni has two backends. The default (iptables, `global.nativeNftables: false`) writes, in the node's nat
 * table, `POSTROUTING → ISTIO_POSTRT` and `-m owner --socket-exists -p tcp -m set --match-set istio-inpod-probes-v4
 * dst -j SNAT --to-source 169.254.7.127`: any local socket matches, forwarded packets (no socket) do not. The
 * nftables backend writes `table inet istio-ambient-nat`, chain `postrouting` (nat, srcnat priority) with the same
 * set, but matches only the kubelet's UID (`meta skuid <kubelet>`). The set holds the node's ambient pod IPs; a pod
 * is added once its redirection and ztunnel are in place and removed when it leaves the mesh.
 *
 * The lab has no ipset tool, so it renders the nftables layout (table, set, chain) and picks the origin match of
 * the backend it models; `socket-exists` is the default. nft has no `--socket-exists`: `meta skuid` over the whole
 * UID range matches exactly the packets that carry a local socket (the expression fails on a packet without one).
 */

export type HostProbeOrigin =
  /** iptables backend: any packet sent from a local socket. */
  | { readonly kind: 'socket-exists' }
  /** nftables backend: only packets from sockets of this UID (the kubelet's). */
  | { readonly kind: 'socket-uid'; readonly uid: number };

export interface HostProbeSettings {
  readonly table: string;
  readonly set: string;
  readonly chain: string;
  readonly snatAddress: string;
  readonly origin: HostProbeOrigin;
}

/** A set element: an ambient pod of this node, commented with its `<namespace>/<name>` (istio-cni uses the UID). */
export interface HostProbeMember {
  readonly ip: string;
  readonly pod: string;
}

export const HOST_PROBE_SETTINGS: HostProbeSettings = {
  table: 'istio-ambient-nat',
  set: 'istio-inpod-probes-v4',
  chain: 'postrouting',
  snatAddress: SCENE.ambientProbeSource.replace(/\/32$/, ''),
  origin: { kind: 'socket-exists' },
};

const MAX_UID = 0xffffffff;

function quote(text: string): string {
  return `"${text.replace(/["\\]/g, '')}"`;
}

function originMatch(origin: HostProbeOrigin): string {
  return origin.kind === 'socket-exists' ? `meta skuid 0-${MAX_UID}` : `meta skuid ${origin.uid}`;
}

/** The SNAT rule as nft writes it inside the chain. */
export function hostProbeRule(settings: HostProbeSettings): string {
  return `meta l4proto tcp ${originMatch(settings.origin)} ip daddr @${settings.set} counter snat ip to ${settings.snatAddress}`;
}

/**
 * `nft -f` text that atomically makes the node's table say exactly this: the chain holds the one rule and the set
 * holds exactly `members` (flushed and refilled in the same transaction, so no packet sees a half-updated set).
 */
export function renderHostProbeRuleset(settings: HostProbeSettings, members: readonly HostProbeMember[]): string {
  const table = `inet ${settings.table}`;
  const lines = [
    `table ${table} {}`,
    `flush table ${table}`,
    `table ${table} {`,
    `  set ${settings.set} {`,
    '    type ipv4_addr',
    `    comment ${quote('ambient pods of this node (istio-cni host probe set)')}`,
    '  }',
    `  chain ${settings.chain} {`,
    '    type nat hook postrouting priority srcnat; policy accept;',
    `    ${hostProbeRule(settings)}`,
    '  }',
    '}',
    `flush set ${table} ${settings.set}`,
  ];
  const sorted = [...members].sort((a, b) => a.ip.localeCompare(b.ip, 'en', { numeric: true }));
  if (sorted.length > 0) {
    lines.push(`add element ${table} ${settings.set} { ${sorted.map((member) => `${member.ip} comment ${quote(member.pod)}`).join(', ')} }`);
  }
  return `${lines.join('\n')}\n`;
}
