import type { BlockingLayer } from './layer.ts';

/** Where an evidence line came from: a layer's own record, never the attacker's client. */
export const EVIDENCE_SOURCES = [
  'hubble', // Cilium Hubble flow JSON
  'calico-log', // `calico-packet:` kernel log lines from a Log rule
  'calico-counter', // per-policy iptables chain counters
  'envoy-access-log', // Istio sidecar or waypoint JSON access log
  'ztunnel-log', // ztunnel JSON log
  'admission', // API server / lab PSA rejection message
  'nft-counter', // lab: nftables rule counter
  'lab-proxy-log', // lab: the HAProxy sidecar's access log
  'sink', // the exfiltration sink: the canary arrived
  'api-audit', // Kubernetes API response (RBAC)
  'packet-capture', // a sniffer's own capture (eavesdropping): packets of the flow, and whether the canary was in plaintext
] as const;
export type EvidenceSource = (typeof EVIDENCE_SOURCES)[number];

export type EvidenceVerdict = 'denied' | 'allowed' | 'delivered' | 'observed';

export interface EvidenceItem {
  /** The layer whose record this is (`none` for the sink: it proves delivery, not a block). */
  readonly layer: BlockingLayer | 'none';
  readonly source: EvidenceSource;
  readonly verdict: EvidenceVerdict;
  /** The raw line or record exactly as the layer printed it. */
  readonly raw: string;
  /** What the parser understood, e.g. the policy/rule that matched. */
  readonly detail?: string;
  /** The policy rule named by the record, when the record names one (e.g. `ns[bm-app]-policy[api]-rule[0]`). */
  readonly rule?: string;
  readonly at?: string;
  /**
   * Which fields of the attempt's flow this record matched on (`canary`, `source-ip`, `source-pod`,
   * `destination-ip`, `destination-port`, `window`, …): a record is only credited to an attempt on the canary or the
   * attempt's own source, never on its destination alone. Absent for the client-side records (sink, admission).
   */
  readonly matched?: readonly string[];
}

/** A flow an attempt made, used to match layer records to this attempt and no other. */
export interface FlowDescriptor {
  readonly protocol: 'tcp' | 'udp' | 'icmp' | 'dns' | 'http';
  readonly sourceIp?: string;
  readonly sourcePod?: string;
  readonly sourceNamespace?: string;
  readonly destinationIp?: string;
  readonly destinationPort?: number;
  readonly destinationName?: string;
  /** The attempt's unique canary token, when it carries one. */
  readonly canary?: string;
}

export interface TimeWindow {
  readonly from: Date;
  readonly to: Date;
}
