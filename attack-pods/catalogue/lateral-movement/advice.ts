import { FIX, rating, when, type AdviceTable } from '../fix-builders.ts';
import { REF } from '../references.ts';

/** Severity and fixes of the lateral-movement family. */
export const LATERAL_MOVEMENT_ADVICE: AdviceTable = {
  LM1: {
    severity: rating('critical', 'a rogue pod talks to the database directly'),
    fixes: (stack) => [FIX.defaultDenyIngress('the database accepts only api'), FIX.strictMtls(stack.mesh === 'istio-ambient' ? 'mesh-ztunnel' : 'mesh-sidecar')],
  },
  LM3: {
    severity: rating('medium', 'a NodePort on a node IP reaches api around pod-level policy'),
    fixes: (stack) => [
      FIX.defaultDenyEgress('node IPs are not in the allow-list'),
      ...when(stack.cni === 'cilium', FIX.ciliumEntities('leave out remote-node and host')),
      { layer: 'cni', feature: 'Service externalTrafficPolicy: Local', policy: 'keep the client source IP so the target\'s ingress policy still applies, or avoid NodePort for internal services', source: REF.serviceNodePort },
    ],
  },
  LM4: {
    severity: rating('high', 'a pod\'s own service-account token used against the API server'),
    fixes: (stack) => [
      { layer: 'api', feature: 'Kubernetes RBAC', policy: 'grant workload service accounts nothing they do not use; automountServiceAccountToken: false where no API access is needed', source: REF.rbac },
      FIX.defaultDenyEgress('no egress to the API server from pods that do not need it'),
      ...when(stack.cni === 'cilium', FIX.ciliumEntities('leave out kube-apiserver')),
    ],
  },
  LM5: {
    severity: rating('high', 'a Service with externalIPs silently captures every pod\'s traffic to that address, cluster-wide (CVE-2020-8554)'),
    fixes: (stack) => [
      {
        layer: 'admission',
        feature: 'DenyServiceExternalIPs admission plugin, or a ValidatingAdmissionPolicy on services',
        policy: 'refuse spec.externalIPs on Services (or allow only listed addresses); the CVE has no data-plane fix',
        source: REF.denyServiceExternalIps,
      },
      { layer: 'api', feature: 'Kubernetes RBAC', policy: 'no create/update on services (nor status of LoadBalancers) for workload service accounts', source: REF.rbac },
      FIX.defaultDenyEgress('no egress to the API server from pods that do not need it'),
      ...when(stack.cni === 'cilium', FIX.ciliumEntities('leave out kube-apiserver')),
    ],
  },
};
