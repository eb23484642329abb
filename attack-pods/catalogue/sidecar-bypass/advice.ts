import { FIX, rating, when, worldEgressFixes, type AdviceTable } from '../fix-builders.ts';
import { REF } from '../references.ts';

const ANNOTATION_RULE = {
  layer: 'admission',
  feature: 'ValidatingAdmissionPolicy (CEL) on pod annotations and labels',
  source: REF.validatingAdmissionPolicy,
} as const;

/** Severity and fixes of the sidecar-bypass family. */
export const SIDECAR_BYPASS_ADVICE: AdviceTable = {
  SC1: {
    severity: rating('high', 'any pod that may choose its UID leaves through no sidecar: every mesh egress control is skipped'),
    fixes: (stack) => [
      FIX.defaultDenyEgress('the CNI filters by pod, whatever UID the process runs as'),
      FIX.refusePodSpec('set runAsUser or runAsGroup 1337 (the proxy UID) outside the mesh\'s own containers'),
      ...when(stack.cni === 'cilium', { layer: 'cni', feature: 'CiliumNetworkPolicy egress (L3/L4, toFQDNs)', policy: 'egress allow-list per workload, enforced in eBPF below the pod\'s own iptables', source: REF.ciliumPolicyLanguage }),
    ],
  },
  SC2: {
    severity: rating('high', 'with NET_ADMIN a pod deletes its own capture rules and leaves the mesh unseen'),
    fixes: () => [FIX.podSecurityBaseline('adding NET_ADMIN'), FIX.defaultDenyEgress('a CNI policy survives the pod flushing its own iptables')],
  },
  'SC2-priv': {
    severity: rating('high', 'a pod in a privileged namespace flushes its capture rules: only the CNI still sees it'),
    fixes: () => [FIX.defaultDenyEgress('a CNI policy survives the pod flushing its own iptables'), FIX.podSecurityBaseline('adding NET_ADMIN')],
  },
  SC3: {
    severity: rating('high', 'a pod annotation alone exempts all of its egress from the sidecar'),
    fixes: () => [
      FIX.defaultDenyEgress('the annotation changes the pod\'s iptables, not the CNI\'s policy'),
      { ...ANNOTATION_RULE, policy: 'refuse traffic.sidecar.istio.io/excludeOutboundIPRanges and the other exclude* annotations on workload pods, outside an allow-list' },
    ],
  },
  'SC3-noinject': {
    severity: rating('high', 'a pod opts itself out of sidecar injection and sends without any proxy'),
    fixes: () => [
      FIX.defaultDenyEgress('an uninjected pod is still under the CNI\'s policy'),
      { ...ANNOTATION_RULE, policy: 'refuse pods in mesh namespaces that set sidecar.istio.io/inject: "false"' },
    ],
  },
  SC4: {
    severity: rating('medium', 'an init container runs before capture is ready (where there is a proxy) and can exfiltrate once at start-up'),
    fixes: (stack) => [
      FIX.defaultDenyEgress('init containers share the pod\'s network identity, so the CNI policy covers them'),
      ...when(stack.mesh === 'istio-sidecar', { layer: 'mesh-sidecar', feature: 'Istio native sidecars (istio-proxy as a restartable init container)', policy: 'run the proxy as a native sidecar so it starts before the app\'s init containers', source: REF.istioNativeSidecars }),
    ],
  },
  SC5: {
    severity: rating('medium', 'UDP is never captured by the sidecar: a free exfiltration channel in sidecar and ambient mode'),
    fixes: (stack) => worldEgressFixes(stack, 'NetworkPolicy covers UDP as well as TCP'),
  },
  SC6: {
    severity: rating('medium', 'code in the app container reads the proxy\'s configuration and can stop the proxy through its admin port'),
    fixes: () => [
      { layer: 'mesh-ztunnel', feature: 'Istio ambient mode (no per-pod proxy)', policy: 'move workloads that run untrusted code to ambient, where no proxy admin port lives inside the pod', source: REF.ambientDataPlane },
      FIX.refusePodSpec('run untrusted code next to a sidecar: treat the pod as one trust boundary (the admin port is on localhost by design)'),
    ],
  },
  SC7: {
    severity: rating('low', 'another pod reads a proxy\'s stats and health ports: information disclosure'),
    fixes: () => [FIX.defaultDenyIngress('allow only the application ports, not 15000/15020/15090 from other pods')],
  },
  SC10: {
    severity: rating('high', 'a path variant reaches an endpoint an L7 rule denies'),
    fixes: (stack) => [
      ...when(stack.mesh === 'none', { layer: 'mesh-sidecar', feature: 'Istio AuthorizationPolicy (DENY on paths)', policy: 'add a mesh so an L7 rule can deny /admin at all', source: REF.authorizationPolicy }),
      { layer: stack.mesh === 'istio-ambient' ? 'mesh-waypoint' : 'mesh-sidecar', feature: 'Istio meshConfig.pathNormalization DECODE_AND_MERGE_SLASHES', policy: 'normalise paths before AuthorizationPolicy matching so //admin, /%61dmin and /admin#x all hit the DENY on /admin', source: REF.istioPathNormalization },
      ...when(stack.cni === 'cilium', { layer: 'cni', feature: 'CiliumNetworkPolicy L7 HTTP rules', policy: 'allow only the listed method+path pairs (an allow-list, so variants are refused)', source: REF.ciliumHttpPolicy }),
    ],
  },
  SC11: {
    severity: rating('high', 'an escaped backslash carries a parent step past the DENY on /admin to a backend that reads \\ as a separator'),
    fixes: (stack) => [
      ...when(stack.mesh === 'none', { layer: 'mesh-sidecar', feature: 'Istio AuthorizationPolicy (DENY on paths)', policy: 'add a mesh so an L7 rule can deny /admin at all', source: REF.authorizationPolicy }),
      { layer: stack.mesh === 'istio-ambient' ? 'mesh-waypoint' : 'mesh-sidecar', feature: 'Istio meshConfig.pathNormalization DECODE_AND_MERGE_SLASHES', policy: 'decode %5C (and %2F) before AuthorizationPolicy matching so /api/..%5Cadmin normalises to /admin and hits the DENY', source: REF.istioPathNormalization },
      ...when(stack.cni === 'cilium', { layer: 'cni', feature: 'CiliumNetworkPolicy L7 HTTP rules', policy: 'allow only the listed method+path pairs, with paths that cannot contain %5C (an allow-list regex)', source: REF.ciliumHttpPolicy }),
    ],
  },
  SC12: {
    severity: rating('high', 'a case variant of the Host header walks past an AuthorizationPolicy that denies by host'),
    fixes: (stack) => [
      ...when(stack.mesh === 'none', { layer: 'mesh-sidecar', feature: 'Istio AuthorizationPolicy (DENY on hosts)', policy: 'add a mesh so an L7 rule can refuse the host at all', source: REF.authorizationPolicy }),
      { layer: stack.mesh === 'istio-ambient' ? 'mesh-waypoint' : 'mesh-sidecar', feature: 'Istio 1.9.8 / 1.10.4 / 1.11.1 or later (hosts matched ignoring case)', policy: 'run a release with the CVE-2021-39155 fix; list each host with and without its port (api.bm-app, api.bm-app:*)', source: REF.cve202139155 },
    ],
  },
  SC15: {
    severity: rating('medium', 'a pod that passes x-envoy-* control headers steers retries, timeouts and tags of the proxies behind it'),
    fixes: (stack) => [
      { layer: stack.mesh === 'istio-ambient' ? 'mesh-waypoint' : 'mesh-sidecar', feature: 'Envoy 1.33+ defaults as Istio configures them (no internal_address_config)', policy: 'keep every address external: leave ENABLE_HCM_INTERNAL_NETWORKS off and never list pod ranges in meshNetworks as internal, so cleanInternalHeaders strips x-envoy-* from pods', source: REF.istio53402 },
      ...when(stack.mesh === 'none', { layer: 'mesh-sidecar', feature: 'Istio sidecar (Envoy header sanitisation)', policy: 'put a proxy that strips internal-only headers in front of workloads that sit behind Envoy-based infrastructure', source: REF.cve202445806 }),
    ],
  },
};
