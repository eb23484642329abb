import { FIX, rating, when, worldEgressFixes, type AdviceTable } from '../fix-builders.ts';
import { REF } from '../references.ts';

const ZTUNNEL_WAYPOINT_ONLY = {
  layer: 'mesh-ztunnel',
  feature: 'Istio AuthorizationPolicy enforced by ztunnel (L4, principals)',
  policy: 'on the destination, ALLOW only the waypoint\'s service account (and no direct callers), so traffic that skips the waypoint is refused',
  source: REF.ambientWaypoint,
} as const;

const OPT_OUT_RULE = {
  layer: 'admission',
  feature: 'ValidatingAdmissionPolicy (CEL) on pod labels',
  policy: 'refuse pods in ambient namespaces that set istio.io/dataplane-mode: none',
  source: REF.validatingAdmissionPolicy,
} as const;

/** Severity and fixes of the ambient-bypass family. */
export const AMBIENT_BYPASS_ADVICE: AdviceTable = {
  AM1: {
    severity: rating('high', 'calling the pod IP skips the waypoint and every L7 rule on it'),
    fixes: () => [ZTUNNEL_WAYPOINT_ONLY],
  },
  AM2: {
    severity: rating('high', 'an out-of-mesh client reaches a destination whose policy lives on its waypoint'),
    fixes: () => [FIX.strictMtls('mesh-ztunnel'), FIX.defaultDenyIngress('only mesh clients and the waypoint')],
  },
  AM3: {
    severity: rating('high', 'a pod label removes the pod from ambient: no ztunnel sees its egress'),
    fixes: (stack) => [...worldEgressFixes(stack, 'the CNI still filters an opted-out pod'), OPT_OUT_RULE],
  },
  'AM3-mesh': {
    severity: rating('high', 'an opted-out pod calls into the STRICT mesh in plaintext'),
    fixes: () => [FIX.strictMtls('mesh-ztunnel'), OPT_OUT_RULE],
  },
  AM4: {
    severity: rating('high', 'with NET_ADMIN a pod deletes the in-pod redirection and leaves ambient unseen'),
    fixes: () => [FIX.podSecurityBaseline('adding NET_ADMIN'), FIX.defaultDenyEgress('a CNI policy survives the pod flushing its own rules')],
  },
  'AM4-priv': {
    severity: rating('high', 'a pod in a privileged namespace flushes the ambient redirection: only the CNI still sees it'),
    fixes: (stack) => [...worldEgressFixes(stack, 'a CNI policy survives the pod flushing its own rules'), FIX.podSecurityBaseline('adding NET_ADMIN')],
  },
  'AM4-mark': {
    severity: rating('high', 'SO_MARK 0x3 skips ambient capture with no added capability on Linux 5.17+ (CAP_NET_RAW is in the default set)'),
    fixes: (stack) => [
      ...worldEgressFixes(stack, 'marked packets still pass the CNI\'s policy'),
      { layer: 'admission', feature: 'Pod Security Admission restricted (capabilities drop ALL)', policy: 'enforce restricted so containers run without CAP_NET_RAW and cannot set SO_MARK', source: REF.soMarkNetRaw },
    ],
  },
  'AM4-mark-mesh': {
    severity: rating('high', 'SO_MARK 0x3 skips capture and calls into the STRICT mesh in plaintext'),
    fixes: (stack) => [
      FIX.defaultDenyIngress('only known clients of the target'),
      FIX.strictMtls(stack.mesh === 'istio-ambient' ? 'mesh-ztunnel' : 'mesh-sidecar'),
      { layer: 'admission', feature: 'Pod Security Admission restricted (capabilities drop ALL)', policy: 'enforce restricted so containers run without CAP_NET_RAW and cannot set SO_MARK', source: REF.soMarkNetRaw },
    ],
  },
  AM5: {
    severity: rating('high', 'a host-network pod on the victim\'s node reaches it from outside the mesh'),
    fixes: () => [FIX.podSecurityBaseline('hostNetwork'), FIX.defaultDenyIngress('node-local traffic is the exception: see the host-network fixes')],
  },
  'AM5-priv': {
    severity: rating('high', 'a host-network pod on the victim\'s node reaches it: ztunnel never sees host traffic and most CNIs allow node-local sources'),
    fixes: (stack) => [
      FIX.podSecurityBaseline('hostNetwork'),
      ...when(stack.cni === 'cilium', { layer: 'cni', feature: 'Cilium host firewall and policy on the host entity', policy: 'stop allowing every flow from the local host to pods (allow-localhost=policy) and allow only the kubelet\'s probe ports from host', source: REF.ciliumHostFirewall }),
      ...when(stack.cni === 'calico', { layer: 'cni', feature: 'Calico host endpoints and GlobalNetworkPolicy', policy: 'apply host endpoint policy that limits what host-network processes may send to pods', source: REF.calicoFailsafe }),
      ...when(stack.mesh !== 'istio-ambient', FIX.strictMtls('mesh-sidecar')),
    ],
  },
  AM6: {
    severity: rating('medium', 'a port NetworkPolicy does not allow is reached over HBONE: the CNI only sees 15008'),
    fixes: () => [
      { layer: 'mesh-ztunnel', feature: 'Istio AuthorizationPolicy enforced by ztunnel (L4 ports)', policy: 'ALLOW the caller\'s principal only to.operation.ports [8080] on the target', source: REF.ambientNetworkPolicy },
    ],
  },
  AM7: {
    severity: rating('medium', 'a Service port NetworkPolicy does not allow is reached through the waypoint: the CNI only sees 15008 at both hops'),
    fixes: (stack) => [
      stack.mesh === 'istio-ambient'
        ? { layer: 'mesh-waypoint', feature: 'Istio AuthorizationPolicy bound to the waypoint (targetRefs Service) with ports', policy: 'ALLOW frontend GET /api/* only to.operation.ports [8080]: the waypoint is the one place that still sees the Service port', source: REF.ambientWaypoint }
        : { layer: stack.mesh === 'none' ? 'cni' : 'mesh-sidecar', feature: stack.mesh === 'none' ? 'Kubernetes NetworkPolicy (ingress ports)' : 'Istio AuthorizationPolicy (ports)', policy: 'allow frontend → api on 8080 only', source: stack.mesh === 'none' ? REF.networkPolicy : REF.authorizationPolicy },
    ],
  },
};
