import type { KubeObject } from '../../../core/domain/cluster.ts';

/** One CoreDNS plugin line, optionally with a block of nested directives. */
export interface CorefileDirective {
  readonly name: string;
  readonly args?: readonly string[];
  readonly block?: readonly CorefileDirective[];
}

export interface CorefileServer {
  /** `zone:port`, e.g. `.:53` or `exfil.test:53`. */
  readonly address: string;
  readonly directives: readonly CorefileDirective[];
}

function renderDirective(directive: CorefileDirective, indent: string): string[] {
  const head = [directive.name, ...(directive.args ?? [])].join(' ');
  if (directive.block === undefined) return [`${indent}${head}`];
  return [`${indent}${head} {`, ...directive.block.flatMap((inner) => renderDirective(inner, `${indent}   `)), `${indent}}`];
}

export function renderCorefile(servers: readonly CorefileServer[]): string {
  return `${servers
    .map((server) => [`${server.address} {`, ...server.directives.flatMap((directive) => renderDirective(directive, '    ')), '}'].join('\n'))
    .join('\n')}\n`;
}

/** kubeadm's default cluster server block, which the patch must keep: the ConfigMap is replaced whole. */
const CLUSTER_SERVER: CorefileServer = {
  address: '.:53',
  directives: [
    { name: 'errors' },
    { name: 'health', block: [{ name: 'lameduck', args: ['5s'] }] },
    { name: 'ready' },
    {
      name: 'kubernetes',
      args: ['cluster.local', 'in-addr.arpa', 'ip6.arpa'],
      block: [{ name: 'pods', args: ['insecure'] }, { name: 'fallthrough', args: ['in-addr.arpa', 'ip6.arpa'] }, { name: 'ttl', args: ['30'] }],
    },
    { name: 'prometheus', args: [':9153'] },
    { name: 'forward', args: ['.', '/etc/resolv.conf'], block: [{ name: 'max_concurrent', args: ['1000'] }] },
    { name: 'cache', args: ['30'] },
    { name: 'loop' },
    { name: 'reload' },
    { name: 'loadbalance' },
  ],
};

/**
 * The CoreDNS ConfigMap with the exfiltration zone forwarded to the sink: DNS tunnelling (EG2) must reach the
 * sink through cluster DNS exactly as it would reach an attacker's authoritative server. No cache on that
 * zone, so every canary query arrives. The `reload` plugin picks the change up without a restart.
 */
export function corednsConfigMap(zone: string, sinkIp: string, sinkDnsPort: number): KubeObject {
  const exfil: CorefileServer = {
    address: `${zone}:53`,
    directives: [{ name: 'errors' }, { name: 'log' }, { name: 'forward', args: ['.', `${sinkIp}:${sinkDnsPort}`] }],
  };
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'coredns', namespace: 'kube-system' },
    data: { Corefile: renderCorefile([CLUSTER_SERVER, exfil]) },
  };
}
