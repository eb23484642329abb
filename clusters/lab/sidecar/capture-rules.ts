import { isIPv4 } from 'node:net';
import { BadInputError } from '../../../core/domain/errors.ts';
import { SCENE } from '../../../manifests/scene.ts';

/**
 * A typed model of the nat-table rules istio-iptables writes into a sidecar pod (REDIRECT mode, IPv4, DNS
 * capture off), rendered to `iptables-restore` input. Only TCP is ever redirected: UDP and ICMP never pass
 * the proxy, which is exactly what SC5 measures.
 */

export const ISTIO_CHAINS = ['ISTIO_INBOUND', 'ISTIO_REDIRECT', 'ISTIO_IN_REDIRECT', 'ISTIO_OUTPUT'] as const;
export type IstioChain = (typeof ISTIO_CHAINS)[number];
type Chain = IstioChain | 'PREROUTING' | 'OUTPUT';

/** One `-A` line; fields render in istio-iptables' order so the output reads like the real thing. */
export interface NatRule {
  readonly chain: Chain;
  readonly outInterface?: { readonly name: string; readonly negate?: boolean };
  readonly source?: string;
  readonly destination?: { readonly cidr: string; readonly negate?: boolean };
  readonly protocol?: 'tcp' | 'udp';
  readonly destinationPort?: { readonly port: number; readonly negate?: boolean };
  readonly multiportDestination?: readonly number[];
  readonly owner?: { readonly kind: 'uid' | 'gid'; readonly id: number; readonly negate?: boolean };
  readonly target:
    | { readonly kind: 'jump'; readonly chain: IstioChain | 'RETURN' }
    | { readonly kind: 'redirect'; readonly toPort: number };
}

/** The knobs istio-iptables takes (`-b -d -i -o -q -x -u -g -p -z`), already parsed. */
export interface CaptureSettings {
  readonly proxyUid: number;
  readonly proxyGid: number;
  readonly outboundPort: number;
  readonly inboundPort: number;
  /** `*` = every TCP port, a list = only those, empty = no inbound capture (`-b`). */
  readonly inboundPorts: '*' | readonly number[];
  /** Ports never captured inbound when `inboundPorts` is `*` (`-d`). */
  readonly excludeInboundPorts: readonly number[];
  /** `*` = every destination, a list = only those CIDRs, empty = no outbound capture (`-i`). */
  readonly outboundIpRanges: '*' | readonly string[];
  readonly excludeOutboundIpRanges: readonly string[];
  readonly excludeOutboundPorts: readonly number[];
}

const ANNOTATIONS = {
  includeInboundPorts: 'traffic.sidecar.istio.io/includeInboundPorts',
  excludeInboundPorts: 'traffic.sidecar.istio.io/excludeInboundPorts',
  includeOutboundIPRanges: 'traffic.sidecar.istio.io/includeOutboundIPRanges',
  excludeOutboundIPRanges: 'traffic.sidecar.istio.io/excludeOutboundIPRanges',
  excludeOutboundPorts: 'traffic.sidecar.istio.io/excludeOutboundPorts',
} as const;

/**
 * Ports the injector always adds to `excludeInboundPorts` (Envoy's stats, health and agent ports), plus SSH,
 * which istio-iptables leaves alone whenever it captures every inbound port.
 */
export const ALWAYS_EXCLUDED_INBOUND_PORTS: readonly number[] = [
  SCENE.envoy.stats,
  SCENE.envoy.health,
  SCENE.envoy.agent,
  22,
];

function parsePort(text: string, where: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65535) {
    throw new BadInputError(`"${text}" is not a TCP port`, where, 'integers 1-65535, comma separated');
  }
  return port;
}

function parseCidr(text: string, where: string): string {
  const [ip, bits, extra] = text.split('/');
  const prefix = bits === undefined ? 32 : Number(bits);
  if (ip === undefined || extra !== undefined || !isIPv4(ip) || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) {
    throw new BadInputError(`"${text}" is not an IPv4 CIDR`, where, 'IPv4 addresses or CIDRs, comma separated, or *');
  }
  return `${ip}/${prefix}`;
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/**
 * Reads the `traffic.sidecar.istio.io/*` annotations the way the injector hands them to istio-iptables:
 * includes default to `*`, an explicit empty string turns that direction's capture off, `*` inside a list
 * means everything. Bad values are the user's input and fail with the annotation's name.
 */
export function captureSettingsFromAnnotations(
  annotations: Readonly<Record<string, string>>,
  pod: string,
): CaptureSettings {
  const where = (key: string): string => `pod ${pod}: annotation ${key}`;
  const ports = (key: string): number[] => splitList(annotations[key] ?? '').map((p) => parsePort(p, where(key)));
  const ranges = (key: string): string[] =>
    splitList(annotations[key] ?? '').map((r) => (r === '*' ? '0.0.0.0/0' : parseCidr(r, where(key))));

  const inboundRaw = annotations[ANNOTATIONS.includeInboundPorts] ?? '*';
  const inboundList = splitList(inboundRaw);
  const inboundPorts: CaptureSettings['inboundPorts'] = inboundList.includes('*')
    ? '*'
    : inboundList.map((p) => parsePort(p, where(ANNOTATIONS.includeInboundPorts)));

  const outboundRaw = annotations[ANNOTATIONS.includeOutboundIPRanges] ?? '*';
  const outboundList = splitList(outboundRaw);
  const outboundIpRanges: CaptureSettings['outboundIpRanges'] = outboundList.includes('*')
    ? '*'
    : outboundList.map((r) => parseCidr(r, where(ANNOTATIONS.includeOutboundIPRanges)));

  const excludeInbound = [...ALWAYS_EXCLUDED_INBOUND_PORTS, ...ports(ANNOTATIONS.excludeInboundPorts)];
  return {
    proxyUid: SCENE.proxyUid,
    proxyGid: SCENE.proxyUid,
    outboundPort: SCENE.envoy.outbound,
    inboundPort: SCENE.envoy.inbound,
    inboundPorts,
    excludeInboundPorts: [...new Set(excludeInbound)],
    outboundIpRanges,
    excludeOutboundIpRanges: ranges(ANNOTATIONS.excludeOutboundIPRanges),
    excludeOutboundPorts: ports(ANNOTATIONS.excludeOutboundPorts),
  };
}

/** The rule list istio-iptables would write for these settings, in its order. */
export function buildCaptureRules(settings: CaptureSettings): NatRule[] {
  const hbone = SCENE.hbonePort;
  const rules: NatRule[] = [
    // HBONE is never captured inbound.
    { chain: 'ISTIO_INBOUND', protocol: 'tcp', destinationPort: { port: hbone }, target: { kind: 'jump', chain: 'RETURN' } },
    { chain: 'ISTIO_REDIRECT', protocol: 'tcp', target: { kind: 'redirect', toPort: settings.outboundPort } },
    { chain: 'ISTIO_IN_REDIRECT', protocol: 'tcp', target: { kind: 'redirect', toPort: settings.inboundPort } },
  ];

  const inboundOn = settings.inboundPorts === '*' || settings.inboundPorts.length > 0;
  if (inboundOn) {
    rules.push({ chain: 'PREROUTING', protocol: 'tcp', target: { kind: 'jump', chain: 'ISTIO_INBOUND' } });
    if (settings.inboundPorts === '*') {
      for (const port of settings.excludeInboundPorts) {
        rules.push({ chain: 'ISTIO_INBOUND', protocol: 'tcp', destinationPort: { port }, target: { kind: 'jump', chain: 'RETURN' } });
      }
      rules.push({ chain: 'ISTIO_INBOUND', protocol: 'tcp', target: { kind: 'jump', chain: 'ISTIO_IN_REDIRECT' } });
    } else {
      for (const port of settings.inboundPorts) {
        rules.push({
          chain: 'ISTIO_INBOUND',
          protocol: 'tcp',
          destinationPort: { port },
          target: { kind: 'jump', chain: 'ISTIO_IN_REDIRECT' },
        });
      }
    }
  }

  rules.push({ chain: 'OUTPUT', target: { kind: 'jump', chain: 'ISTIO_OUTPUT' } });
  if (settings.excludeOutboundPorts.length > 0) {
    // istio-iptables returns both protocols for excluded outbound ports.
    for (const protocol of ['tcp', 'udp'] as const) {
      rules.push({
        chain: 'ISTIO_OUTPUT',
        protocol,
        multiportDestination: settings.excludeOutboundPorts,
        target: { kind: 'jump', chain: 'RETURN' },
      });
    }
  }
  // Traffic the proxy sends to itself from 127.0.0.6 (inbound passthrough) is left alone.
  rules.push({ chain: 'ISTIO_OUTPUT', outInterface: { name: 'lo' }, source: '127.0.0.6/32', target: { kind: 'jump', chain: 'RETURN' } });
  for (const kind of ['uid', 'gid'] as const) {
    const id = kind === 'uid' ? settings.proxyUid : settings.proxyGid;
    // The proxy calling the pod's own non-loopback address goes back through inbound handling.
    rules.push({
      chain: 'ISTIO_OUTPUT',
      outInterface: { name: 'lo' },
      destination: { cidr: '127.0.0.1/32', negate: true },
      protocol: 'tcp',
      destinationPort: { port: hbone, negate: true },
      owner: { kind, id },
      target: { kind: 'jump', chain: 'ISTIO_IN_REDIRECT' },
    });
    // The app talking to itself over loopback is not captured.
    rules.push({ chain: 'ISTIO_OUTPUT', outInterface: { name: 'lo' }, owner: { kind, id, negate: true }, target: { kind: 'jump', chain: 'RETURN' } });
    // The proxy's own traffic is exempt: this is the UID/GID 1337 bypass (SC1).
    rules.push({ chain: 'ISTIO_OUTPUT', owner: { kind, id }, target: { kind: 'jump', chain: 'RETURN' } });
  }
  rules.push({ chain: 'ISTIO_OUTPUT', destination: { cidr: '127.0.0.1/32' }, target: { kind: 'jump', chain: 'RETURN' } });

  for (const cidr of settings.excludeOutboundIpRanges) {
    rules.push({ chain: 'ISTIO_OUTPUT', destination: { cidr }, target: { kind: 'jump', chain: 'RETURN' } });
  }
  if (settings.outboundIpRanges === '*') {
    rules.push({ chain: 'ISTIO_OUTPUT', target: { kind: 'jump', chain: 'ISTIO_REDIRECT' } });
  } else {
    for (const cidr of settings.outboundIpRanges) {
      rules.push({ chain: 'ISTIO_OUTPUT', destination: { cidr }, target: { kind: 'jump', chain: 'ISTIO_REDIRECT' } });
    }
  }
  return rules;
}

/** One rule as an `iptables-restore` line, e.g. `-A ISTIO_OUTPUT -m owner --uid-owner 1337 -j RETURN`. */
export function renderRule(rule: NatRule): string {
  const parts: string[] = ['-A', rule.chain];
  if (rule.outInterface !== undefined) parts.push(...(rule.outInterface.negate === true ? ['!'] : []), '-o', rule.outInterface.name);
  if (rule.source !== undefined) parts.push('-s', rule.source);
  if (rule.destination !== undefined) parts.push(...(rule.destination.negate === true ? ['!'] : []), '-d', rule.destination.cidr);
  if (rule.protocol !== undefined) parts.push('-p', rule.protocol);
  if (rule.destinationPort !== undefined) {
    parts.push(...(rule.destinationPort.negate === true ? ['!'] : []), '--dport', String(rule.destinationPort.port));
  }
  if (rule.multiportDestination !== undefined) parts.push('-m', 'multiport', '--dports', rule.multiportDestination.join(','));
  if (rule.owner !== undefined) {
    parts.push('-m', 'owner', ...(rule.owner.negate === true ? ['!'] : []), `--${rule.owner.kind}-owner`, String(rule.owner.id));
  }
  if (rule.target.kind === 'jump') parts.push('-j', rule.target.chain);
  else parts.push('-j', 'REDIRECT', '--to-ports', String(rule.target.toPort));
  return parts.join(' ');
}

/** `iptables-restore --noflush` input: declares the Istio chains, then appends the rules. */
export function renderRestoreInput(rules: readonly NatRule[]): string {
  return ['*nat', ...ISTIO_CHAINS.map((chain) => `:${chain} - [0:0]`), ...rules.map(renderRule), 'COMMIT', ''].join('\n');
}
