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

/** DNS through Cilium's DNS proxy: every query becomes a Hubble L7 flow (EG2 evidence). Allows every name. */
export const DNS_VISIBILITY_RULE: CiliumEgressRule = {
  toEndpoints: [{ matchLabels: { 'k8s:io.kubernetes.pod.namespace': KUBE_DNS.namespace, [KUBE_DNS.podLabel.key]: KUBE_DNS.podLabel.value } }],
  toPorts: [
    {
      ports: [
        { port: String(KUBE_DNS.port), protocol: 'UDP' },
        { port: String(KUBE_DNS.port), protocol: 'TCP' },
      ],
      rules: { dns: [{ matchPattern: '*' }] },
    },
  ],
};

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
      ciliumPolicy(POLICY_NAMES.ciliumDnsVisibility, namespace, {
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
