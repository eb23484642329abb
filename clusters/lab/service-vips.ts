import { InfrastructureError } from '../../core/domain/errors.ts';
import { TIMEOUTS } from '../../core/timeouts.ts';
import { mustRun } from './host-command.ts';
import { netnsCommand } from './netns-command.ts';

/**
 * ClusterIPs for the Services that need one in the lab: on lab:ambient, a Service bound to a waypoint. The lab's
 * Services are otherwise headless (DNS answers pod IPs), but ambient routes by the address a client used — traffic
 * to a Service's ClusterIP goes through its waypoint, traffic to a pod IP does not
 * (https://istio.io/latest/docs/ambient/usage/waypoint/, https://istio.io/latest/docs/ambient/architecture/data-plane/)
 * — so such a Service gets a VIP from the service range, its DNS name answers the VIP, and a kube-proxy stand-in
 * DNATs the VIP to the Service's endpoints on every node for clients ztunnel does not capture.
 */

/** kind's default service CIDR; the lab hands VIPs from 10.96.0.10 up (10.96.0.1 is the API server's on kind). */
const VIP_BASE = [10, 96, 0] as const;
const FIRST_VIP_HOST = 10;
const LAST_VIP_HOST = 254;

export class ServiceVips {
  private readonly byService = new Map<string, string>();
  private next = FIRST_VIP_HOST;

  /** The VIP of a Service (`ns/name`), allocated on first call and kept for the lab's life. */
  assign(serviceKey: string): string {
    const known = this.byService.get(serviceKey);
    if (known !== undefined) return known;
    if (this.next > LAST_VIP_HOST) throw new InfrastructureError('lab', `no free service VIP for ${serviceKey}`);
    const vip = `${VIP_BASE.join('.')}.${this.next++}`;
    this.byService.set(serviceKey, vip);
    return vip;
  }

  of(serviceKey: string): string | undefined {
    return this.byService.get(serviceKey);
  }

  /** The Service a VIP belongs to, if any. */
  serviceAt(ip: string): string | undefined {
    return [...this.byService.entries()].find(([, vip]) => vip === ip)?.[0];
  }

  entries(): readonly (readonly [string, string])[] {
    return [...this.byService.entries()];
  }
}

/** One Service port as kube-proxy programs it: VIP:port → endpoints:targetPort. */
export interface VipForward {
  readonly vip: string;
  readonly port: number;
  readonly targetPort: number;
  readonly endpoints: readonly string[];
}

function forwardRule(forward: VipForward): string | undefined {
  const match = `ip daddr ${forward.vip} tcp dport ${forward.port}`;
  const [only, ...rest] = forward.endpoints;
  // No endpoint, no rule: the packet leaves by the default route and is never answered, as with no ready endpoint.
  if (only === undefined) return undefined;
  if (rest.length === 0) return `${match} dnat to ${only}:${forward.targetPort}`;
  const map = forward.endpoints.map((endpoint, index) => `${index} : ${endpoint}`).join(', ');
  return `${match} dnat to numgen random mod ${forward.endpoints.length} map { ${map} } : ${forward.targetPort}`;
}

/**
 * The node's kube-proxy table (`nft -f` input, replaced atomically): prerouting catches pods' packets forwarded by
 * the node, output the node's own (host-network pods, probes).
 */
export function renderKubeProxyTable(forwards: readonly VipForward[]): string {
  const rules = forwards.map(forwardRule).filter((rule): rule is string => rule !== undefined).map((rule) => `    ${rule}`);
  return [
    'table ip bm-kube-proxy',
    'delete table ip bm-kube-proxy',
    'table ip bm-kube-proxy {',
    '  chain prerouting {',
    '    type nat hook prerouting priority dstnat; policy accept;',
    ...rules,
    '  }',
    '  chain output {',
    '    type nat hook output priority -100; policy accept;',
    ...rules,
    '  }',
    '}',
    '',
  ].join('\n');
}

/** Loads the table into each node namespace whose text changed since the last load. */
export class KubeProxyTables {
  private readonly loaded = new Map<string, string>();

  async sync(nodeNetns: readonly string[], forwards: readonly VipForward[]): Promise<void> {
    if (forwards.length === 0 && this.loaded.size === 0) return;
    const text = renderKubeProxyTable(forwards);
    await Promise.all(
      nodeNetns.map(async (netns) => {
        if (this.loaded.get(netns) === text) return;
        await mustRun(...netnsCommand(netns, 'nft', ['-f', '-']), { input: text, timeoutMs: TIMEOUTS.labPodReadyMs }, 'lab kube-proxy');
        this.loaded.set(netns, text);
      }),
    );
  }
}
