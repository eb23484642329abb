import type { Fix, FixTarget, SeverityRating, Severity } from '../../core/domain/attack.ts';
import { REF } from './references.ts';

/** An attack's severity and what would close it on a stack where it gets through. */
export interface AttackAdvice {
  readonly severity: SeverityRating;
  /** Every stack where the attack is (or may be observed) allowed must get at least one fix. */
  fixes(stack: FixTarget): readonly Fix[];
}

/** Per-family advice tables, keyed by attack id. */
export type AdviceTable = Readonly<Record<string, AttackAdvice>>;

export function rating(level: Severity, reason: string): SeverityRating {
  return { level, reason };
}

/** Keeps only the fixes whose condition holds: `when(stack.cni === 'cilium', fix)`. */
export function when(condition: boolean, ...fixes: Fix[]): Fix[] {
  return condition ? fixes : [];
}

/** Reusable fixes: the same policy closes several attacks. */
export const FIX = {
  defaultDenyEgress: (what: string): Fix => ({
    layer: 'cni',
    feature: 'Kubernetes NetworkPolicy (policyTypes: [Egress])',
    policy: `a default-deny egress policy for the namespace that allows only kube-dns and the named destinations it needs: ${what}`,
    source: REF.networkPolicyDefaults,
  }),
  defaultDenyIngress: (what: string): Fix => ({
    layer: 'cni',
    feature: 'Kubernetes NetworkPolicy (policyTypes: [Ingress])',
    policy: `a default-deny ingress policy on the target that allows only its known clients (podSelector/namespaceSelector) and ports: ${what}`,
    source: REF.networkPolicyDefaults,
  }),
  dnsOnlyToKubeDns: (): Fix => ({
    layer: 'cni',
    feature: 'Kubernetes NetworkPolicy egress `to` peer on port 53',
    policy: 'allow port 53 only `to` the kube-dns pods (namespaceSelector kube-system + podSelector k8s-app: kube-dns), never a port-only rule',
    source: REF.networkPolicy,
  }),
  ciliumEntities: (what: string): Fix => ({
    layer: 'cni',
    feature: 'CiliumNetworkPolicy toEntities / host firewall',
    policy: `egress to node IPs is not covered by ipBlock on Cilium: allow only the entities needed and leave out host/remote-node/kube-apiserver — ${what}`,
    source: REF.ciliumPolicyLanguage,
  }),
  strictMtls: (layer: 'mesh-sidecar' | 'mesh-ztunnel'): Fix => ({
    layer,
    feature: 'Istio PeerAuthentication mtls.mode STRICT + AuthorizationPolicy',
    policy: 'put the target in the mesh with STRICT mTLS and an ALLOW AuthorizationPolicy naming its callers\' principals: plaintext and unknown identities are refused',
    source: REF.peerAuthentication,
  }),
  registryOnly: (): Fix => ({
    layer: 'mesh-sidecar',
    feature: 'Istio meshConfig.outboundTrafficPolicy.mode REGISTRY_ONLY',
    policy: 'only destinations declared as ServiceEntry leave through the sidecar (TCP only: pair with a CNI egress policy)',
    source: REF.egressControl,
  }),
  refusePodSpec: (what: string): Fix => ({
    layer: 'admission',
    feature: 'ValidatingAdmissionPolicy (CEL) or an equivalent policy engine rule',
    policy: `refuse, in application namespaces, pods that ${what}`,
    source: REF.validatingAdmissionPolicy,
  }),
  dropNetRaw: (): Fix => ({
    layer: 'admission',
    feature: 'Pod Security Admission restricted (capabilities drop ALL), or a ValidatingAdmissionPolicy requiring NET_RAW dropped',
    policy: 'application containers drop NET_RAW (restricted drops every capability): no raw or packet sockets, so no forged headers',
    source: REF.podSecurityStandards,
  }),
  podSecurityBaseline: (what: string): Fix => ({
    layer: 'admission',
    feature: 'Pod Security Admission (pod-security.kubernetes.io/enforce: baseline or restricted)',
    policy: `enforce baseline (or restricted) on every namespace that runs workloads, so ${what} is refused; keep privileged namespaces for the platform only`,
    source: REF.podSecurityStandards,
  }),
} as const;

/** Egress exfiltration to the outside world: what closes it wherever the attacker can already send packets. */
export function worldEgressFixes(stack: FixTarget, what: string): Fix[] {
  return [
    FIX.defaultDenyEgress(what),
    ...when(stack.cni === 'cilium', {
      layer: 'cni',
      feature: 'CiliumNetworkPolicy toFQDNs (matchName/matchPattern) with the DNS proxy',
      policy: 'allow egress to the world only to named FQDNs; every other destination IP is dropped',
      source: REF.ciliumDnsPolicy,
    }),
  ];
}
