/**
 * Kubernetes `networking.k8s.io/v1` NetworkPolicy as plain JSON. Not the client-node models: their
 * V1NetworkPolicyIngressRule names the field `_from` (renamed only by client-node's own serializer), and a
 * `KubeObject` must be what server-side apply and the lab read as-is.
 */
export interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>>;
}

export interface NetworkPolicyPeer {
  readonly podSelector?: LabelSelector;
  readonly namespaceSelector?: LabelSelector;
  readonly ipBlock?: { readonly cidr: string; readonly except?: readonly string[] };
}

export interface NetworkPolicyPort {
  readonly protocol: 'TCP' | 'UDP' | 'SCTP';
  /** Numeric only: the lab's compiler never resolves named ports. */
  readonly port: number;
}

export interface NetworkPolicyIngressRule {
  readonly from: readonly NetworkPolicyPeer[];
  readonly ports?: readonly NetworkPolicyPort[];
}

export interface NetworkPolicyEgressRule {
  readonly to: readonly NetworkPolicyPeer[];
  readonly ports?: readonly NetworkPolicyPort[];
}

export type PolicyType = 'Ingress' | 'Egress';

export interface NetworkPolicy {
  readonly apiVersion: 'networking.k8s.io/v1';
  readonly kind: 'NetworkPolicy';
  readonly metadata: { readonly name: string; readonly namespace: string; readonly labels: Readonly<Record<string, string>> };
  readonly spec: {
    readonly podSelector: LabelSelector;
    readonly policyTypes: readonly PolicyType[];
    readonly ingress?: readonly NetworkPolicyIngressRule[];
    readonly egress?: readonly NetworkPolicyEgressRule[];
  };
}
