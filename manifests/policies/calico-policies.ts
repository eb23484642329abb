import type { KubeObject } from '../../core/domain/cluster.ts';
import { asKubeObject, managedLabels } from '../kube-object.ts';
import type { CalicoGlobalNetworkPolicy, CalicoRule } from './calico-types.ts';
import { DEFAULT_DENY_NAMESPACES } from './kubernetes-network-policies.ts';
import { POLICY_NAMES } from './policy-names.ts';

/** Calico orders Kubernetes NetworkPolicies at 1000 in the default tier; this one must come after them. */
export const CALICO_KUBERNETES_POLICY_ORDER = 1000;
export const CALICO_LOG_DENY_ORDER = 2000;

/** Log, then Deny: the Log rule writes a `calico-packet:` kernel log line for each packet about to be dropped. */
export const LOG_THEN_DENY: readonly CalicoRule[] = [{ action: 'Log' }, { action: 'Deny' }];

/**
 * Calico's own record of drops. A packet no Kubernetes NetworkPolicy allowed falls through to this policy (same
 * tier, higher order) and is logged, then denied — the same verdict the NetworkPolicies' end-of-tier drop would
 * give, but with evidence. Scoped to the scene namespaces, never the whole cluster;
 * the same for every mesh, since it only acts on what the NetworkPolicies (mesh additions included) left unallowed.
 */
export function buildCalicoPolicies(): KubeObject[] {
  const namespaces = [...DEFAULT_DENY_NAMESPACES].sort().map((name) => `'${name}'`).join(', ');
  const policy: CalicoGlobalNetworkPolicy = {
    apiVersion: 'projectcalico.org/v3',
    kind: 'GlobalNetworkPolicy',
    metadata: { name: POLICY_NAMES.calicoLogDeny, labels: managedLabels() },
    spec: {
      order: CALICO_LOG_DENY_ORDER,
      namespaceSelector: `kubernetes.io/metadata.name in { ${namespaces} }`,
      selector: 'all()',
      types: ['Ingress', 'Egress'],
      ingress: LOG_THEN_DENY,
      egress: LOG_THEN_DENY,
    },
  };
  return [asKubeObject(policy)];
}
