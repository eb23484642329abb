import type { KubeObject } from '../../core/domain/cluster.ts';
import type { StackTraits } from '../../core/domain/profile.ts';
import { asKubeObject, managedLabels } from '../kube-object.ts';
import { SCENE } from '../scene.ts';
import type { CalicoGlobalNetworkPolicy, CalicoRule } from './calico-types.ts';
import { DEFAULT_DENY_NAMESPACES } from './kubernetes-network-policies.ts';
import { POLICY_NAMES } from './policy-names.ts';

/** Calico orders Kubernetes NetworkPolicies at 1000 in the default tier; this one must come after them. */
export const CALICO_KUBERNETES_POLICY_ORDER = 1000;
export const CALICO_LOG_DENY_ORDER = 2000;
/** The hardened set's explicit denies come before every NetworkPolicy, so no namespace's policy can allow them. */
export const CALICO_HARDENED_DENY_ORDER = 100;

/** Log, then Deny: the Log rule writes a `calico-packet:` kernel log line for each packet about to be dropped. */
export const LOG_THEN_DENY: readonly CalicoRule[] = [{ action: 'Log' }, { action: 'Deny' }];

/**
 * The hardened set's Calico part (https://docs.tigera.io/calico/latest/reference/resources/globalnetworkpolicy):
 * the baseline's default deny with explicit allows stays (Kubernetes NetworkPolicies at order 1000, the log-deny
 * GlobalNetworkPolicy at 2000 scoped to the scene namespaces), and a GlobalNetworkPolicy ordered before every
 * NetworkPolicy logs and denies egress to the link-local metadata address — a deny a namespace's own NetworkPolicy
 * cannot undo. Calico Open Source cannot name destinations by DNS name (domain-based policy is Calico Cloud and
 * Enterprise only, https://docs.tigera.io/calico-cloud/network-policy/domain-based-policy), so EG2's DNS tunnel
 * through kube-dns stays open; it has no L7 HTTP rules either (the mesh holds those).
 */
function hardenedInfraDeny(namespaces: string): CalicoGlobalNetworkPolicy {
  const metadata = { nets: [`${SCENE.metadata.ip}/32`] };
  return {
    apiVersion: 'projectcalico.org/v3',
    kind: 'GlobalNetworkPolicy',
    metadata: { name: POLICY_NAMES.calicoHardenedDenyMetadata, labels: managedLabels() },
    spec: {
      order: CALICO_HARDENED_DENY_ORDER,
      namespaceSelector: `kubernetes.io/metadata.name in { ${namespaces} }`,
      selector: 'all()',
      types: ['Egress'],
      // No rule matches other traffic, so it goes on to the next policy (the NetworkPolicies) in order.
      egress: [
        { action: 'Log', destination: metadata },
        { action: 'Deny', destination: metadata },
      ],
    },
  };
}

/**
 * Calico's own record of drops. A packet no Kubernetes NetworkPolicy allowed falls through to this policy (same
 * tier, higher order) and is logged, then denied — the same verdict the NetworkPolicies' end-of-tier drop would
 * give, but with evidence. Scoped to the scene namespaces, never the whole cluster;
 * the same for every mesh, since it only acts on what the NetworkPolicies (mesh additions included) left unallowed.
 */
export function buildCalicoPolicies(stack: StackTraits): KubeObject[] {
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
  return [...(stack.strength === 'hardened' ? [asKubeObject(hardenedInfraDeny(namespaces))] : []), asKubeObject(policy)];
}
