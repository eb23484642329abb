import { FIX, rating, type AdviceTable } from '../fix-builders.ts';
import { REF } from '../references.ts';

/** Severity and fixes of the mtls-identity family. */
export const MTLS_IDENTITY_ADVICE: AdviceTable = {
  SC8: {
    severity: rating('high', 'plaintext from outside the mesh reaches a workload that relies on mTLS'),
    fixes: (stack) => [FIX.defaultDenyIngress('only the target\'s known clients'), FIX.strictMtls(stack.mesh === 'istio-ambient' ? 'mesh-ztunnel' : 'mesh-sidecar')],
  },
  SC9: {
    severity: rating('medium', 'calling the pod IP skips whatever policy is attached to the Service only'),
    fixes: (stack) => [FIX.defaultDenyIngress('policy on the pod, not the Service'), FIX.strictMtls(stack.mesh === 'istio-ambient' ? 'mesh-ztunnel' : 'mesh-sidecar')],
  },
  LM2: {
    severity: rating('critical', 'a pod that names another workload\'s service account and labels inherits its access at every layer'),
    fixes: () => [
      {
        layer: 'admission',
        feature: 'ValidatingAdmissionPolicy (CEL) binding service accounts to workloads',
        policy: "allow serviceAccountName frontend only in pods its deployer creates (request.userInfo: the frontend Deployment's controller or the identity that deploys it) — by content an impostor claiming the account and the label is frontend",
        source: REF.validatingAdmissionPolicy,
      },
      { layer: 'api', feature: 'Kubernetes RBAC', policy: 'do not grant pod create in a namespace to anyone who must not act as every service account in it', source: REF.serviceAccounts },
    ],
  },
  SC13: {
    severity: rating('high', 'an application that reads XFCC for the caller identity believes any identity the client writes'),
    fixes: (stack) => [
      { layer: stack.mesh === 'istio-ambient' ? 'mesh-waypoint' : 'mesh-sidecar', feature: 'Istio sidecar or waypoint (forward_client_cert_details APPEND_FORWARD / SANITIZE)', policy: "put an Envoy on the path: it drops the client's XFCC and writes the mTLS peer's, so the application reads an identity that was verified", source: REF.istioProxyHeaders },
      { layer: stack.mesh === 'istio-ambient' ? 'mesh-ztunnel' : 'mesh-sidecar', feature: 'Istio AuthorizationPolicy (source principals)', policy: 'decide who may call api from the mTLS peer identity in the proxy, not from a header the application parses', source: REF.authorizationPolicy },
    ],
  },
  SC14: {
    severity: rating('medium', 'an application that takes X-Forwarded-For as the client address logs and authorises a forged one'),
    fixes: (stack) => [
      { layer: stack.mesh === 'istio-ambient' ? 'mesh-ztunnel' : 'mesh-sidecar', feature: 'Istio AuthorizationPolicy (source principals, ipBlocks)', policy: 'authorise on the mTLS peer identity or the connection address (ipBlocks), never on X-Forwarded-For: no mesh proxy between pods rewrites it', source: REF.authorizationPolicy },
      { layer: 'mesh-sidecar', feature: 'Istio gateway topology numTrustedProxies', policy: 'at the ingress gateway set numTrustedProxies to the real number of trusted hops, so the client address the mesh passes on is one the gateway verified', source: REF.istioIngressXff },
    ],
  },
};
