import type { Reference } from '../../core/domain/attack.ts';

/**
 * An upstream document (page, issue or source file at a commit) that can cite itself in an expectation's
 * `source`. `cite` is a getter, so references still serialise (JSON, reports) as plain `{ title, url }`.
 */
export class Citation implements Reference {
  readonly title: string;
  readonly url: string;

  constructor(title: string, url: string) {
    this.title = title;
    this.url = url;
  }

  /** `title <url>`, for an expectation's source. */
  get cite(): string {
    return `${this.title} <${this.url}>`;
  }
}

function ref(title: string, url: string): Citation {
  return new Citation(title, url);
}

/** Where the catalogue's claims come from: upstream documentation, issues and source files, shared by the attacks. */
export const REF = {
  istioSecurityBestPractices: ref(
    'Istio security best practices (traffic capture limitations, only TCP is captured)',
    'https://istio.io/latest/docs/ops/best-practices/security/',
  ),
  istioAppRequirements: ref(
    'Istio application requirements (ports used by Istio, UID 1337)',
    'https://istio.io/latest/docs/ops/deployment/application-requirements/',
  ),
  istioAnnotations: ref('Istio resource annotations', 'https://istio.io/latest/docs/reference/config/annotations/'),
  istioCni: ref(
    'Install the Istio CNI node agent (compatibility with application init containers)',
    'https://istio.io/latest/docs/setup/additional-setup/cni/',
  ),
  istioNativeSidecars: ref(
    'Kubernetes native sidecars in Istio',
    'https://istio.io/latest/blog/2023/native-sidecars/',
  ),
  ambientNetworkPolicy: ref(
    'Ambient and Kubernetes NetworkPolicy (15008, 169.254.7.127)',
    'https://istio.io/latest/docs/ambient/usage/networkpolicy/',
  ),
  ambientRedirection: ref(
    'Ambient traffic redirection (in-pod rules, mark 0x539 / 0x3)',
    'https://istio.io/latest/docs/ambient/architecture/traffic-redirection/',
  ),
  ambientDataPlane: ref('Ambient data plane', 'https://istio.io/latest/docs/ambient/architecture/data-plane/'),
  ambientWaypoint: ref('Configure waypoint proxies', 'https://istio.io/latest/docs/ambient/usage/waypoint/'),
  ambientAddWorkloads: ref(
    'Add workloads to the ambient mesh (dataplane-mode label, pod overrides namespace)',
    'https://istio.io/latest/docs/ambient/usage/add-workloads/',
  ),
  istio56659: ref(
    'istio/istio#56659: ambient bypasses ingress ports in network policy',
    'https://github.com/istio/istio/issues/56659',
  ),
  istioTrafficRouting: ref(
    'Istio traffic routing (calls to pod IPs, passthrough)',
    'https://istio.io/latest/docs/ops/configuration/traffic-management/traffic-routing/',
  ),
  istioMutualTls: ref(
    'Istio mutual TLS migration (sidecars send mutual TLS automatically)',
    'https://istio.io/latest/docs/tasks/security/authentication/mtls-migration/',
  ),
  ztunnelHbone: ref(
    'Istio ambient HBONE (ztunnel-to-ztunnel mTLS tunnels on port 15008)',
    'https://istio.io/latest/docs/ambient/architecture/hbone/',
  ),
  ciliumWireguard: ref(
    'Cilium WireGuard transparent encryption (v1.20.2)',
    'https://github.com/cilium/cilium/blob/v1.20.2/Documentation/security/network/encryption-wireguard.rst',
  ),
  calicoWireguard: ref(
    'Calico WireGuard encryption, Felix wireguardEnabled ("Encrypt data in transit": inter-node pod traffic; same-node pod traffic is not encrypted)',
    'https://docs.tigera.io/calico-cloud/compliance/encrypt-cluster-pod-traffic',
  ),
  peerAuthentication: ref(
    'PeerAuthentication reference',
    'https://istio.io/latest/docs/reference/config/security/peer_authentication/',
  ),
  authorizationPolicy: ref(
    'AuthorizationPolicy reference',
    'https://istio.io/latest/docs/reference/config/security/authorization-policy/',
  ),
  egressControl: ref(
    'Istio egress: outboundTrafficPolicy REGISTRY_ONLY',
    'https://istio.io/latest/docs/tasks/traffic-management/egress/egress-control/',
  ),
  egressGateway: ref(
    'Istio egress gateways (additional security considerations)',
    'https://istio.io/latest/docs/tasks/traffic-management/egress/egress-gateway/',
  ),
  cve202131920: ref(
    'ISTIO-SECURITY-2021-005 / CVE-2021-31920 (multiple slashes, escaped slashes)',
    'https://istio.io/latest/news/security/istio-security-2021-005/',
  ),
  cve202139156: ref(
    'ISTIO-SECURITY-2021-008 / CVE-2021-39156 (fragment in path)',
    'https://istio.io/latest/news/security/istio-security-2021-008/',
  ),
  cve202139155: ref(
    'ISTIO-SECURITY-2021-008 / CVE-2021-39155 (AuthorizationPolicy hosts compared case-sensitively; fixed in 1.9.8, 1.10.4, 1.11.1)',
    'https://istio.io/latest/news/security/istio-security-2021-008/',
  ),
  istioHostMatcher: ref(
    'istio/istio 1.31.0-rc.0 pilot/pkg/security/authz/matcher/header.go HostMatcher (every hosts pattern on :authority with ignore_case)',
    'https://github.com/istio/istio/blob/1.31.0-rc.0/pilot/pkg/security/authz/matcher/header.go',
  ),
  istioProxyHeaders: ref(
    'istio/istio 1.31.0-rc.0 pilot/pkg/networking/util/proxy_headers.go (sidecar listeners: forward_client_cert_details APPEND_FORWARD)',
    'https://github.com/istio/istio/blob/1.31.0-rc.0/pilot/pkg/networking/util/proxy_headers.go',
  ),
  istioListenerBuilder: ref(
    'istio/istio 1.31.0-rc.0 pilot/pkg/networking/core/listener_builder.go (sidecars: use_remote_address false; no internal_address_config, Envoy >= 1.33 trusts no address)',
    'https://github.com/istio/istio/blob/1.31.0-rc.0/pilot/pkg/networking/core/listener_builder.go',
  ),
  istioWaypointListener: ref(
    'istio/istio 1.31.0-rc.0 pilot/pkg/networking/core/listener_waypoint.go (waypoint HTTP chain: Envoy default SANITIZE for XFCC unless annotated, use_remote_address false)',
    'https://github.com/istio/istio/blob/1.31.0-rc.0/pilot/pkg/networking/core/listener_waypoint.go',
  ),
  envoyConnManagerUtility: ref(
    'envoyproxy/envoy source/common/http/conn_manager_utility.cc (mutateXfccRequestHeader: XFCC removed unless the downstream is mTLS; XFF untouched without use_remote_address; cleanInternalHeaders)',
    'https://github.com/envoyproxy/envoy/blob/main/source/common/http/conn_manager_utility.cc',
  ),
  cve202445806: ref(
    'Envoy GHSA-ffhv-fvxq-r6mf / CVE-2024-45806 (x-envoy headers trusted from RFC1918 sources; default changed to trust no address)',
    'https://github.com/envoyproxy/envoy/security/advisories/GHSA-ffhv-fvxq-r6mf',
  ),
  istio53402: ref(
    'istio/istio#53402: internal Envoy header sanitization (sidecar-to-sidecar x-envoy headers stripped while XFF is unset; private IPs trusted before Envoy 1.33)',
    'https://github.com/istio/istio/issues/53402',
  ),
  istioIngressXff: ref(
    'Istio ingress: configuring gateway network topology (numTrustedProxies, X-Forwarded-For, XFCC at gateways)',
    'https://istio.io/latest/docs/ops/configuration/traffic-management/network-topologies/',
  ),
  podSecurityStandards: ref(
    'Kubernetes Pod Security Standards (baseline)',
    'https://kubernetes.io/docs/concepts/security/pod-security-standards/',
  ),
  networkPolicy: ref(
    'Kubernetes NetworkPolicy (host-network pods: behaviour undefined)',
    'https://kubernetes.io/docs/concepts/services-networking/network-policies/',
  ),
  ciliumPolicyLanguage: ref(
    'Cilium policy language (toEntities host/kube-apiserver, DNS-based toFQDNs)',
    'https://docs.cilium.io/en/stable/security/policy/language/',
  ),
  calicoFailsafe: ref(
    'Calico failsafe rules for host endpoints',
    'https://docs.tigera.io/calico/latest/reference/host-endpoints/failsafe',
  ),
  kubeletAuth: ref(
    'Kubelet authentication/authorization (10250)',
    'https://kubernetes.io/docs/reference/access-authn-authz/kubelet-authn-authz/',
  ),
  soMarkNetRaw: ref(
    'Linux 5.17, commit 079925cce1d0 "net: allow SO_MARK with CAP_NET_RAW" (no longer CAP_NET_ADMIN only)',
    'https://github.com/torvalds/linux/commit/079925cce1d06fe6614b1559b0020497b5b83d6a',
  ),
  istioSidecarInjection: ref(
    'Istio sidecar injection (per-pod opt-out with sidecar.istio.io/inject: "false")',
    'https://istio.io/latest/docs/setup/additional-setup/sidecar-injection/',
  ),
  rbac: ref('Kubernetes RBAC', 'https://kubernetes.io/docs/reference/access-authn-authz/rbac/'),
  serviceAccounts: ref(
    'Kubernetes service accounts',
    'https://kubernetes.io/docs/concepts/security/service-accounts/',
  ),
  serviceNodePort: ref(
    'Kubernetes Service: externalTrafficPolicy and source NAT',
    'https://kubernetes.io/docs/tasks/access-application-cluster/create-external-load-balancer/#preserving-the-client-source-ip',
  ),
  istioCaptureGoldenSidecar: ref(
    'istio-iptables golden output, tools/istio-iptables/pkg/capture/testdata/empty.golden (ISTIO_OUTPUT returns for --uid-owner/--gid-owner 1337)',
    'https://github.com/istio/istio/blob/29bcc3ca14c02eae571c3f8a879ecb5f0e03c45a/tools/istio-iptables/pkg/capture/testdata/empty.golden',
  ),
  istioCaptureGoldenAmbient: ref(
    'istio-cni ambient in-pod rules golden, cni/pkg/iptables/testdata/default.golden (mark 0x3/0xfff skips capture; 169.254.7.127 accepted)',
    'https://github.com/istio/istio/blob/21520f07bdce524a6b7336466068a6dd6d702e43/cni/pkg/iptables/testdata/default.golden',
  ),
  ciliumKubernetesNetworkPolicy: ref(
    'Cilium: Kubernetes NetworkPolicy support (ipBlock and node IPs, known missing features)',
    'https://docs.cilium.io/en/stable/network/kubernetes/policy/',
  ),
  networkPolicyDefaults: ref(
    'Kubernetes NetworkPolicy: default policies (default deny all ingress / all egress traffic)',
    'https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-policies',
  ),
  validatingAdmissionPolicy: ref(
    'Kubernetes ValidatingAdmissionPolicy (CEL rules that refuse pod specs at admission)',
    'https://kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/',
  ),
  ciliumDnsPolicy: ref(
    'Cilium DNS-based policies (toFQDNs matchName/matchPattern, DNS proxy rules)',
    'https://docs.cilium.io/en/stable/security/policy/language/#dns-based',
  ),
  calicoDomainPolicy: ref(
    'Calico Cloud/Enterprise DNS policy (domain names in egress rules; not in Calico Open Source)',
    'https://docs.tigera.io/calico-cloud/network-policy/domain-based-policy',
  ),
  corednsForward: ref(
    'CoreDNS forward plugin (forward only the zones listed)',
    'https://coredns.io/plugins/forward/',
  ),
  ciliumHttpPolicy: ref(
    'Cilium Layer 7 policies (HTTP method and path rules)',
    'https://docs.cilium.io/en/stable/security/policy/layer7/',
  ),
  istioPathNormalization: ref(
    'Istio authorization policy normalization (MERGE_SLASHES, DECODE_AND_MERGE_SLASHES)',
    'https://istio.io/latest/docs/reference/config/security/normalization/',
  ),
  calicoFelixFailsafe: ref(
    'Calico FelixConfiguration (failsafeInboundHostPorts, failsafeOutboundHostPorts)',
    'https://docs.tigera.io/calico/latest/reference/resources/felixconfig',
  ),
  ciliumHostFirewall: ref(
    'Cilium host firewall (policies for host and node traffic)',
    'https://docs.cilium.io/en/stable/security/host-firewall/',
  ),
  calicoWorkloadSourceSpoofing: ref(
    'Calico FelixConfiguration workloadSourceSpoofing (default Disabled: a pod may send only from its own addresses; Felix\'s RPF check drops the rest)',
    'https://docs.tigera.io/calico/latest/reference/resources/felixconfig',
  ),
  ciliumSourceIpVerification: ref(
    'Cilium Helm reference, daemon.enableSourceIPVerification (source IP verification of endpoints, on by default)',
    'https://docs.cilium.io/en/stable/helm-reference/',
  ),
  kindNodeSysctls: ref(
    'kind node image sysctls, images/base/files/etc/sysctl.d/10-network-magic.conf (route_localnet=1, arp_ignore=0; no rp_filter)',
    'https://github.com/kubernetes-sigs/kind/blob/main/images/base/files/etc/sysctl.d/10-network-magic.conf',
  ),
  rawSocket: ref(
    'Linux net/ipv4/raw.c v6.12, raw_send_hdrinc (IP_HDRINCL: the sender writes the IP header, its source address included; a raw socket needs CAP_NET_RAW)',
    'https://github.com/torvalds/linux/blob/v6.12/net/ipv4/raw.c',
  ),
  cve20208554: ref(
    'kubernetes/kubernetes#97076, CVE-2020-8554: man in the middle using LoadBalancer or ExternalIPs (mitigation: admission)',
    'https://github.com/kubernetes/kubernetes/issues/97076',
  ),
  denyServiceExternalIps: ref(
    'Kubernetes admission controllers, DenyServiceExternalIPs (refuses new uses of Service externalIPs)',
    'https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/#denyserviceexternalips',
  ),
  cve202010749: ref(
    'kubernetes/kubernetes#91507, CVE-2020-10749: IPv4-only clusters susceptible to MitM via IPv6 rogue router advertisements (CNI plugins < v0.8.6 and Calico < 3.14.1 affected; Cilium believed not affected)',
    'https://github.com/kubernetes/kubernetes/issues/91507',
  ),
  cniPluginsAcceptRa: ref(
    'containernetworking/plugins#484: ptp, bridge: disable accept_ra on the host-side interface (v0.8.6)',
    'https://github.com/containernetworking/plugins/pull/484',
  ),
  kindnetPtp: ref(
    "kind's kindnetd CNI config, images/kindnetd/cmd/kindnetd/cni.go (pods wired by the CNI ptp plugin)",
    'https://github.com/kubernetes-sigs/kind/blob/main/images/kindnetd/cmd/kindnetd/cni.go',
  ),
  cve20208558: ref(
    'kubernetes/kubernetes#92315, CVE-2020-8558: node setting allows for neighboring hosts to bypass localhost boundary (route_localnet; mitigated by dropping non-local packets to 127.0.0.0/8)',
    'https://github.com/kubernetes/kubernetes/issues/92315',
  ),
  kubeletConfig: ref(
    'Kubelet configuration (v1beta1): healthzBindAddress 127.0.0.1, healthzPort 10248',
    'https://kubernetes.io/docs/reference/config-api/kubelet-config.v1beta1/',
  ),
} as const satisfies Record<string, Citation>;
