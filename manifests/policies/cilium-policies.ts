import type { KubeObject } from '../../core/domain/cluster.ts';
import type { StackTraits } from '../../core/domain/profile.ts';
import { asKubeObject, managedLabels } from '../kube-object.ts';
import { KUBE_DNS } from '../mesh-identity.ts';
import { SCENE } from '../scene.ts';
import type { CiliumEgressRule, CiliumIngressRule, CiliumNetworkPolicy } from './cilium-types.ts';
import { DEFAULT_DENY_NAMESPACES, meshNamespaces } from './kubernetes-network-policies.ts';
import { POLICY_NAMES } from './policy-names.ts';

type CiliumSpec = CiliumNetworkPolicy['spec'];

function ciliumPolicy(name: string, namespace: string, spec: Omit<CiliumSpec, 'endpointSelector' | 'enableDefaultDeny'>): CiliumNetworkPolicy {
  return {
    apiVersion: 'cilium.io/v2',
    kind: 'CiliumNetworkPolicy',
    metadata: { name, namespace, labels: managedLabels() },
    spec: { endpointSelector: {}, enableDefaultDeny: { ingress: false, egress: false }, ...spec },
  };
}

function dnsRule(patterns: readonly string[]): CiliumEgressRule {
  return {
    toEndpoints: [{ matchLabels: { 'k8s:io.kubernetes.pod.namespace': KUBE_DNS.namespace, [KUBE_DNS.podLabel.key]: KUBE_DNS.podLabel.value } }],
    toPorts: [
      {
        ports: [
          { port: String(KUBE_DNS.port), protocol: 'UDP' },
          { port: String(KUBE_DNS.port), protocol: 'TCP' },
        ],
        rules: { dns: patterns.map((matchPattern) => ({ matchPattern })) },
      },
    ],
  };
}

/** DNS through Cilium's DNS proxy: every query becomes a Hubble L7 flow (EG2 evidence). Allows every name. */
export const DNS_VISIBILITY_RULE: CiliumEgressRule = dnsRule(['*']);

/**
 * The hardened set's DNS rule: only the cluster's own Service names (`<svc>.<ns>.svc.cluster.local`, and one label
 * more for a headless Service's pods). Cilium's DNS proxy answers any other query itself with REFUSED, so a
 * name outside the cluster (EG2's `<canary>.exfil.test`, and the search-list expansions of it, which have more
 * labels) never reaches kube-dns. One `*` per label: in a matchPattern `*` becomes `[-a-zA-Z0-9_]*` and does
 * not cross a dot (https://docs.cilium.io/en/stable/security/policy/language/#dns-based;
 * https://github.com/cilium/cilium/blob/main/pkg/fqdn/matchpattern/matchpattern.go). Nothing may leave the scene, so the hardened
 * set has no egress allowance to write as `toFQDNs` instead of CIDRs; node and API-server access stay denied by
 * entity (INFRA_DENY_RULE).
 */
export const CLUSTER_DNS_PATTERNS = ['*.*.svc.cluster.local', '*.*.*.svc.cluster.local'] as const;
export const CLUSTER_DNS_RULE: CiliumEgressRule = dnsRule(CLUSTER_DNS_PATTERNS);

/**
 * Node and control-plane destinations, denied explicitly. Cilium `ipBlock` excludes node IPs unless configured to
 * select them (https://docs.cilium.io/en/stable/network/kubernetes/policy/), so a Cilium user writes entities; an explicit deny also turns the silent default drop into a Hubble
 * `POLICY_DENY` naming this policy (HN3, LM3, LM4 evidence).
 */
export const INFRA_DENY_RULE: CiliumEgressRule = { toEntities: ['kube-apiserver', 'host', 'remote-node'] };

/** Ambient kubelet probes arrive SNATed from 169.254.7.127; CIDR rules are how Cilium matches that source. */
export const AMBIENT_PROBE_RULE: CiliumIngressRule = { fromCIDR: [SCENE.ambientProbeSource] };

/**
 * Cilium's own policies, on top of the Kubernetes NetworkPolicies Cilium also enforces. No L7 HTTP rules:
 * with a mesh the traffic is mTLS, which Cilium HTTP policy is not compatible with
 * (https://docs.cilium.io/en/stable/network/servicemesh/istio/); without a mesh the
 * catalogue measures the plain L3/L4 policy set.
 */
export function buildCiliumPolicies(stack: StackTraits): KubeObject[] {
  const objects: CiliumNetworkPolicy[] = [];
  for (const namespace of DEFAULT_DENY_NAMESPACES) {
    objects.push(
      stack.strength === 'hardened'
        ? ciliumPolicy(POLICY_NAMES.ciliumDnsVisibility, namespace, {
            description: "DNS to kube-dns through the DNS proxy for the cluster's Service names only (hardened set)",
            egress: [CLUSTER_DNS_RULE],
          })
        : ciliumPolicy(POLICY_NAMES.ciliumDnsVisibility, namespace, {
            description: 'DNS to kube-dns through the DNS proxy, so every query is visible in Hubble',
            egress: [DNS_VISIBILITY_RULE],
          }),
      ciliumPolicy(POLICY_NAMES.ciliumDenyInfra, namespace, {
        description: 'No scene pod talks to nodes or the API server',
        egressDeny: [INFRA_DENY_RULE],
      }),
    );
  }
  if (stack.mesh === 'istio-ambient') {
    for (const namespace of meshNamespaces(stack)) {
      objects.push(
        ciliumPolicy(POLICY_NAMES.ciliumAmbientProbes, namespace, {
          description: 'Kubelet probes into ambient pods, SNATed to 169.254.7.127',
          ingress: [AMBIENT_PROBE_RULE],
        }),
      );
    }
  }
  return objects.map(asKubeObject);
}
