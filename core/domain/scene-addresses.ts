/** Addresses that only exist once a cluster (kind or lab) is up; attacks read them to build their plans. */
export interface SinkAddress {
  readonly ip: string;
  readonly httpPort: number;
  readonly tcpPort: number;
  readonly udpPort: number;
  readonly dnsPort: number;
  /** DNS zone the sink is authoritative for; cluster DNS forwards it to the sink. */
  readonly dnsZone: string;
}

export interface NodeAddress {
  readonly name: string;
  readonly ip: string;
}

export interface SceneAddresses {
  readonly sink: SinkAddress;
  /** An emulated cloud metadata endpoint (169.254.169.254 on kind; the lab's own link-local sink). */
  readonly metadata: { readonly ip: string; readonly port: number };
  readonly nodes: readonly NodeAddress[];
  readonly apiServer: { readonly host: string; readonly port: number };
  /** Pod IPs of the scene's workloads, keyed by `namespace/name` of the workload (e.g. `bm-app/api`). */
  readonly workloads: Readonly<Record<string, { readonly podIp: string; readonly node: string }>>;
  /** A NodePort on which `api` is exposed (LM3), when the scene has one. */
  readonly apiNodePort?: number;
}
