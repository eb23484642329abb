/** The subset of `projectcalico.org/v3` GlobalNetworkPolicy the harness writes (schema: test/fixtures/upstream/schemas/calico/). */
export type CalicoAction = 'Allow' | 'Deny' | 'Log' | 'Pass';

export interface CalicoEntityRule {
  /** CIDRs the rule matches. */
  readonly nets?: readonly string[];
}

export interface CalicoRule {
  readonly action: CalicoAction;
  readonly destination?: CalicoEntityRule;
}

export interface CalicoGlobalNetworkPolicy {
  readonly apiVersion: 'projectcalico.org/v3';
  readonly kind: 'GlobalNetworkPolicy';
  readonly metadata: { readonly name: string; readonly labels: Readonly<Record<string, string>> };
  readonly spec: {
    /** Lower is earlier; Calico gives Kubernetes NetworkPolicies order 1000. */
    readonly order: number;
    readonly namespaceSelector: string;
    readonly selector: string;
    readonly types: readonly ('Ingress' | 'Egress')[];
    readonly ingress?: readonly CalicoRule[];
    readonly egress?: readonly CalicoRule[];
  };
}
