import type { Reference } from '../../core/domain/attack.ts';

/** References cited by ATTACKS.md tags, shared by several attacks. */
export const REF = {
  istioSecurityBestPractices: {
    title: 'Istio security best practices (traffic capture limitations, only TCP is captured)',
    url: 'https://istio.io/latest/docs/ops/best-practices/security/',
  },
  istioAppRequirements: {
    title: 'Istio application requirements (ports used by Istio, UID 1337)',
    url: 'https://istio.io/latest/docs/ops/deployment/application-requirements/',
  },
  istioAnnotations: { title: 'Istio resource annotations', url: 'https://istio.io/latest/docs/reference/config/annotations/' },
  istioCni: {
    title: 'Install the Istio CNI node agent (compatibility with application init containers)',
    url: 'https://istio.io/latest/docs/setup/additional-setup/cni/',
  },
  istioNativeSidecars: { title: 'Kubernetes native sidecars in Istio', url: 'https://istio.io/latest/blog/2023/native-sidecars/' },
  ambientNetworkPolicy: {
    title: 'Ambient and Kubernetes NetworkPolicy (15008, 169.254.7.127)',
    url: 'https://istio.io/latest/docs/ambient/usage/networkpolicy/',
  },
  ambientRedirection: {
    title: 'Ambient traffic redirection (in-pod rules, mark 0x539 / 0x3)',
    url: 'https://istio.io/latest/docs/ambient/architecture/traffic-redirection/',
  },
  ambientDataPlane: { title: 'Ambient data plane', url: 'https://istio.io/latest/docs/ambient/architecture/data-plane/' },
  ambientWaypoint: { title: 'Configure waypoint proxies', url: 'https://istio.io/latest/docs/ambient/usage/waypoint/' },
  ambientAddWorkloads: {
    title: 'Add workloads to the ambient mesh (dataplane-mode label, pod overrides namespace)',
    url: 'https://istio.io/latest/docs/ambient/usage/add-workloads/',
  },
  istio56659: { title: 'istio/istio#56659: ambient bypasses ingress ports in network policy', url: 'https://github.com/istio/istio/issues/56659' },
  istioTrafficRouting: {
    title: 'Istio traffic routing (calls to pod IPs, passthrough)',
    url: 'https://istio.io/latest/docs/ops/configuration/traffic-management/traffic-routing/',
  },
  peerAuthentication: {
    title: 'PeerAuthentication reference',
    url: 'https://istio.io/latest/docs/reference/config/security/peer_authentication/',
  },
  authorizationPolicy: {
    title: 'AuthorizationPolicy reference',
    url: 'https://istio.io/latest/docs/reference/config/security/authorization-policy/',
  },
  egressControl: {
    title: 'Istio egress: outboundTrafficPolicy REGISTRY_ONLY',
    url: 'https://istio.io/latest/docs/tasks/traffic-management/egress/egress-control/',
  },
  egressGateway: {
    title: 'Istio egress gateways (additional security considerations)',
    url: 'https://istio.io/latest/docs/tasks/traffic-management/egress/egress-gateway/',
  },
  cve202131920: {
    title: 'ISTIO-SECURITY-2021-005 / CVE-2021-31920 (multiple slashes, escaped slashes)',
    url: 'https://istio.io/latest/news/security/istio-security-2021-005/',
  },
  cve202139156: {
    title: 'ISTIO-SECURITY-2021-008 / CVE-2021-39156 (fragment in path)',
    url: 'https://istio.io/latest/news/security/istio-security-2021-008/',
  },
  podSecurityStandards: {
    title: 'Kubernetes Pod Security Standards (baseline)',
    url: 'https://kubernetes.io/docs/concepts/security/pod-security-standards/',
  },
  networkPolicy: {
    title: 'Kubernetes NetworkPolicy (host-network pods: behaviour undefined)',
    url: 'https://kubernetes.io/docs/concepts/services-networking/network-policies/',
  },
  ciliumPolicyLanguage: {
    title: 'Cilium policy language (toEntities host/kube-apiserver, DNS-based toFQDNs)',
    url: 'https://docs.cilium.io/en/stable/security/policy/language/',
  },
  calicoFailsafe: {
    title: 'Calico failsafe rules for host endpoints',
    url: 'https://docs.tigera.io/calico/latest/reference/host-endpoints/failsafe',
  },
  kubeletAuth: {
    title: 'Kubelet authentication/authorization (10250)',
    url: 'https://kubernetes.io/docs/reference/access-authn-authz/kubelet-authn-authz/',
  },
  soMarkNetRaw: {
    title: 'Linux 5.17, commit 079925cce1d0 "net: allow SO_MARK with CAP_NET_RAW" (no longer CAP_NET_ADMIN only)',
    url: 'https://github.com/torvalds/linux/commit/079925cce1d06fe6614b1559b0020497b5b83d6a',
  },
  istioSidecarInjection: {
    title: 'Istio sidecar injection (per-pod opt-out with sidecar.istio.io/inject: "false")',
    url: 'https://istio.io/latest/docs/setup/additional-setup/sidecar-injection/',
  },
  rbac: { title: 'Kubernetes RBAC', url: 'https://kubernetes.io/docs/reference/access-authn-authz/rbac/' },
  serviceAccounts: { title: 'Kubernetes service accounts', url: 'https://kubernetes.io/docs/concepts/security/service-accounts/' },
  serviceNodePort: {
    title: 'Kubernetes Service: externalTrafficPolicy and source NAT',
    url: 'https://kubernetes.io/docs/tasks/access-application-cluster/create-external-load-balancer/#preserving-the-client-source-ip',
  },
} as const satisfies Record<string, Reference>;
