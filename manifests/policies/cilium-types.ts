/** The subset of `cilium.io/v2` CiliumNetworkPolicy the harness writes (schema: test/fixtures/upstream/schemas/cilium/). */
export interface CiliumSelector {
  readonly matchLabels?: Readonly<Record<string, string>>;
}

export type CiliumEntity = 'all' | 'world' | 'cluster' | 'host' | 'init' | 'ingress' | 'unmanaged' | 'remote-node' | 'health' | 'none' | 'kube-apiserver';

export interface CiliumPortProtocol {
  /** A port number as a string (the CRD types it as string). */
  readonly port: string;
  readonly protocol: 'TCP' | 'UDP' | 'SCTP' | 'ANY';
}

export interface CiliumPortRule {
  readonly ports: readonly CiliumPortProtocol[];
  readonly rules?: { readonly dns: readonly { readonly matchPattern: string }[] };
}

export interface CiliumEgressRule {
  readonly toEndpoints?: readonly CiliumSelector[];
  readonly toEntities?: readonly CiliumEntity[];
  readonly toPorts?: readonly CiliumPortRule[];
}

export interface CiliumIngressRule {
  readonly fromCIDR?: readonly string[];
}

export interface CiliumNetworkPolicy {
  readonly apiVersion: 'cilium.io/v2';
  readonly kind: 'CiliumNetworkPolicy';
  readonly metadata: { readonly name: string; readonly namespace: string; readonly labels: Readonly<Record<string, string>> };
  readonly spec: {
    readonly description?: string;
    readonly endpointSelector: CiliumSelector;
    /** Set on every harness policy: default-deny comes from `bm-default-deny`, these only add (or deny) on top. */
    readonly enableDefaultDeny: { readonly ingress: boolean; readonly egress: boolean };
    readonly egress?: readonly CiliumEgressRule[];
    readonly egressDeny?: readonly CiliumEgressRule[];
    readonly ingress?: readonly CiliumIngressRule[];
  };
}
