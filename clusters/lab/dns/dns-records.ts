/** A Service as the lab's resolver needs it: which pods it selects. */
export interface LabServiceRecord {
  readonly namespace: string;
  readonly name: string;
  readonly selector: Readonly<Record<string, string>>;
}

export interface LabPodAddress {
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly ip: string;
  readonly hostNetwork: boolean;
}

export const CLUSTER_DOMAIN = 'cluster.local';

/**
 * The resolver's records: every Service name resolves to the IPs of the pods it selects, headless style (the lab
 * has no ClusterIPs and no kube-proxy, so NetworkPolicy sees pod IPs, as it does on a real cluster after DNAT) —
 * except a Service `vipOf` gives a ClusterIP (lab:ambient's waypoint-bound Services, service-vips.ts): it answers that.
 */
export function dnsRecords(
  services: readonly LabServiceRecord[],
  pods: readonly LabPodAddress[],
  vipOf: (service: LabServiceRecord) => string | undefined = () => undefined,
): Record<string, string[]> {
  const names: Record<string, string[]> = {};
  for (const service of services) {
    const vip = vipOf(service);
    if (vip !== undefined) {
      names[`${service.name}.${service.namespace}.svc.${CLUSTER_DOMAIN}`.toLowerCase()] = [vip];
      continue;
    }
    const selector = Object.entries(service.selector);
    if (selector.length === 0) continue;
    const ips = pods
      .filter((pod) => pod.namespace === service.namespace)
      .filter((pod) => selector.every(([key, value]) => pod.labels[key] === value))
      .map((pod) => pod.ip);
    names[`${service.name}.${service.namespace}.svc.${CLUSTER_DOMAIN}`.toLowerCase()] = [...new Set(ips)].sort();
  }
  return names;
}

/** resolv.conf of a pod (ClusterFirst): search its namespace, then the cluster; ndots 5 like the kubelet. */
export function podResolvConf(namespace: string, nameserver: string): string {
  return [
    `search ${namespace}.svc.${CLUSTER_DOMAIN} svc.${CLUSTER_DOMAIN} ${CLUSTER_DOMAIN}`,
    `nameserver ${nameserver}`,
    'options ndots:5',
    '',
  ].join('\n');
}

/** resolv.conf of a node: its resolver only, no cluster search domains (a node is not in a namespace). */
export function nodeResolvConf(nameserver: string): string {
  return [`nameserver ${nameserver}`, ''].join('\n');
}
