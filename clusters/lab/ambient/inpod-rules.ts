import { SCENE } from '../../../manifests/scene.ts';

/**
 * A typed model of the rules istio-cni writes into an ambient pod's network namespace (in-pod redirection to
 * ztunnel): mangle PREROUTING → ISTIO_PRERT (TPROXY inbound to 15008 / 15006), mangle OUTPUT → ISTIO_OUTPUT
 * (restore the connection mark so replies to ztunnel's sockets stay local), nat OUTPUT → ISTIO_OUTPUT (REDIRECT
 * outbound TCP to 15001). A packet carrying mark 0x3 (ztunnel's own sockets, or anyone with CAP_NET_ADMIN who
 * sets SO_MARK) is never captured; 169.254.7.127 (kubelet probes SNATed by the node) is accepted. Only TCP is
 * redirected; UDP only for DNS when DNS capture is on.
 */

export type InpodTable = 'mangle' | 'nat';
export const INPOD_CHAINS = ['ISTIO_PRERT', 'ISTIO_OUTPUT'] as const;
export type InpodChain = (typeof INPOD_CHAINS)[number];

export interface MarkMatch {
  readonly value: number;
  readonly mask: number;
  readonly negate?: boolean;
}

export type InpodTarget =
  | { readonly kind: 'jump'; readonly chain: InpodChain }
  | { readonly kind: 'accept' }
  | { readonly kind: 'connmark-set'; readonly value: number; readonly mask: number }
  | { readonly kind: 'connmark-restore' }
  | { readonly kind: 'tproxy'; readonly onPort: number; readonly mark: number; readonly mask: number }
  | { readonly kind: 'redirect'; readonly toPort: number };

export interface InpodRule {
  readonly table: InpodTable;
  readonly chain: InpodChain | 'PREROUTING' | 'OUTPUT';
  readonly source?: string;
  readonly destination?: { readonly cidr: string; readonly negate?: boolean };
  readonly outInterface?: { readonly name: string; readonly negate?: boolean };
  readonly protocol?: 'tcp' | 'udp';
  /** Whether the rule loads the protocol's match module (`-m tcp`), as istio-cni writes some rules. */
  readonly protocolModule?: boolean;
  readonly destinationPort?: number;
  readonly mark?: MarkMatch;
  readonly connmark?: MarkMatch;
  readonly ctstate?: readonly ('RELATED' | 'ESTABLISHED')[];
  readonly target: InpodTarget;
}

export interface InpodSettings {
  /** ztunnel's ports in the pod: outbound capture, plaintext inbound, HBONE inbound, DNS proxy. */
  readonly outboundPort: number;
  readonly inboundPlaintextPort: number;
  readonly inboundHbonePort: number;
  readonly dnsPort: number;
  /** ztunnel's socket mark: packets carrying it skip capture. */
  readonly skipMark: number;
  /** The mark TPROXY and the connection mark carry so ztunnel-bound packets route locally. */
  readonly connMark: number;
  readonly markMask: number;
  /** The node's probe source (kubelet probes are SNATed to it). */
  readonly probeSource: string;
  /** Redirect DNS (UDP 53, not loopback) to ztunnel's DNS proxy. */
  readonly dnsCapture: boolean;
}

/** istio-cni's defaults. The lab turns DNS capture off: its ztunnel stand-in has no DNS proxy. */
export const DEFAULT_INPOD_SETTINGS: InpodSettings = {
  outboundPort: SCENE.envoy.outbound,
  inboundPlaintextPort: SCENE.envoy.inbound,
  inboundHbonePort: SCENE.hbonePort,
  dnsPort: 15053,
  skipMark: 0x3,
  connMark: 0x111,
  markMask: 0xfff,
  probeSource: SCENE.ambientProbeSource.replace(/\/32$/, ''),
  dnsCapture: true,
};

/** The rules, in the order istio-cni installs them. */
export function buildInpodRules(settings: InpodSettings): InpodRule[] {
  const skip: MarkMatch = { value: settings.skipMark, mask: settings.markMask };
  const notSkip: MarkMatch = { ...skip, negate: true };
  const conn: MarkMatch = { value: settings.connMark, mask: settings.markMask };
  const tproxy = (onPort: number): InpodTarget => ({ kind: 'tproxy', onPort, mark: settings.connMark, mask: settings.markMask });
  const rules: InpodRule[] = [
    { table: 'mangle', chain: 'PREROUTING', target: { kind: 'jump', chain: 'ISTIO_PRERT' } },
    { table: 'mangle', chain: 'OUTPUT', target: { kind: 'jump', chain: 'ISTIO_OUTPUT' } },
    { table: 'nat', chain: 'OUTPUT', target: { kind: 'jump', chain: 'ISTIO_OUTPUT' } },
    // ztunnel's own inbound connections are remembered so the app's replies find their way back to it.
    { table: 'mangle', chain: 'ISTIO_PRERT', mark: skip, target: { kind: 'connmark-set', value: settings.connMark, mask: settings.markMask } },
    { table: 'mangle', chain: 'ISTIO_PRERT', source: settings.probeSource, protocol: 'tcp', protocolModule: true, target: { kind: 'accept' } },
    { table: 'nat', chain: 'ISTIO_OUTPUT', destination: { cidr: settings.probeSource }, protocol: 'tcp', protocolModule: true, target: { kind: 'accept' } },
    {
      table: 'mangle',
      chain: 'ISTIO_PRERT',
      protocol: 'tcp',
      protocolModule: true,
      destinationPort: settings.inboundHbonePort,
      mark: notSkip,
      target: tproxy(settings.inboundHbonePort),
    },
    { table: 'mangle', chain: 'ISTIO_PRERT', protocol: 'tcp', ctstate: ['RELATED', 'ESTABLISHED'], target: { kind: 'accept' } },
    {
      table: 'mangle',
      chain: 'ISTIO_PRERT',
      destination: { cidr: '127.0.0.1/32', negate: true },
      protocol: 'tcp',
      mark: notSkip,
      target: tproxy(settings.inboundPlaintextPort),
    },
    { table: 'mangle', chain: 'ISTIO_OUTPUT', connmark: conn, target: { kind: 'connmark-restore' } },
  ];
  if (settings.dnsCapture) {
    rules.push({
      table: 'nat',
      chain: 'ISTIO_OUTPUT',
      outInterface: { name: 'lo', negate: true },
      protocol: 'udp',
      protocolModule: true,
      destinationPort: 53,
      target: { kind: 'redirect', toPort: settings.dnsPort },
    });
  }
  rules.push(
    { table: 'nat', chain: 'ISTIO_OUTPUT', protocol: 'tcp', mark: conn, target: { kind: 'accept' } },
    {
      table: 'nat',
      chain: 'ISTIO_OUTPUT',
      destination: { cidr: '127.0.0.1/32', negate: true },
      protocol: 'tcp',
      mark: notSkip,
      target: { kind: 'redirect', toPort: settings.outboundPort },
    },
  );
  return rules;
}

const hex = (value: number): string => `0x${value.toString(16)}`;
const not = (negate: boolean | undefined): string[] => (negate === true ? ['!'] : []);

/** One rule as an `iptables-restore` line (without the table), e.g. `-A ISTIO_PRERT -p tcp -m conntrack …`. */
export function renderInpodRule(rule: InpodRule): string {
  const parts: string[] = ['-A', rule.chain];
  if (rule.source !== undefined) parts.push('-s', rule.source);
  if (rule.destination !== undefined) parts.push(...not(rule.destination.negate), '-d', rule.destination.cidr);
  if (rule.outInterface !== undefined) parts.push(...not(rule.outInterface.negate), '-o', rule.outInterface.name);
  if (rule.protocol !== undefined) parts.push('-p', rule.protocol);
  if (rule.protocol !== undefined && rule.protocolModule === true) parts.push('-m', rule.protocol);
  if (rule.destinationPort !== undefined) parts.push('--dport', String(rule.destinationPort));
  if (rule.ctstate !== undefined) parts.push('-m', 'conntrack', '--ctstate', rule.ctstate.join(','));
  if (rule.mark !== undefined) parts.push('-m', 'mark', ...not(rule.mark.negate), '--mark', `${hex(rule.mark.value)}/${hex(rule.mark.mask)}`);
  if (rule.connmark !== undefined) {
    parts.push('-m', 'connmark', ...not(rule.connmark.negate), '--mark', `${hex(rule.connmark.value)}/${hex(rule.connmark.mask)}`);
  }
  const target = rule.target;
  switch (target.kind) {
    case 'jump':
      parts.push('-j', target.chain);
      break;
    case 'accept':
      parts.push('-j', 'ACCEPT');
      break;
    case 'connmark-set':
      parts.push('-j', 'CONNMARK', '--set-xmark', `${hex(target.value)}/${hex(target.mask)}`);
      break;
    case 'connmark-restore':
      parts.push('-j', 'CONNMARK', '--restore-mark', '--nfmask', '0xffffffff', '--ctmask', '0xffffffff');
      break;
    case 'tproxy':
      parts.push('-j', 'TPROXY', '--on-port', String(target.onPort), '--tproxy-mark', `${hex(target.mark)}/${hex(target.mask)}`);
      break;
    case 'redirect':
      parts.push('-j', 'REDIRECT', '--to-ports', String(target.toPort));
      break;
  }
  return parts.join(' ');
}

/** `iptables-restore --noflush` input: both tables, chains declared, rules in order. */
export function renderInpodRestoreInput(rules: readonly InpodRule[]): string {
  const lines: string[] = [];
  for (const table of ['mangle', 'nat'] as const) {
    const own = rules.filter((rule) => rule.table === table);
    if (own.length === 0) continue;
    const chains = INPOD_CHAINS.filter((chain) => own.some((rule) => rule.chain === chain));
    lines.push(`*${table}`, ...chains.map((chain) => `:${chain} - [0:0]`), ...own.map(renderInpodRule), 'COMMIT');
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Policy routing that goes with the rules: packets carrying the connection mark are delivered locally (TPROXY
 * needs it; istio-cni's in-pod mode installs the same pair). As `ip -batch` lines.
 */
export function inpodRouteCommands(settings: InpodSettings, table = 100): string[] {
  return [
    `rule add fwmark ${hex(settings.connMark)}/${hex(settings.markMask)} pref 32764 lookup ${table}`,
    `route add local 0.0.0.0/0 dev lo table ${table}`,
  ];
}
