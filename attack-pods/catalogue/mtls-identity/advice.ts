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
};
