import { FIX, rating, when, worldEgressFixes, type AdviceTable } from '../fix-builders.ts';
import { REF } from '../references.ts';

/** Severity and fixes of the egress-exfiltration family. */
export const EGRESS_EXFILTRATION_ADVICE: AdviceTable = {
  EG1: {
    severity: rating('high', 'raw TCP carries data to any address on the internet'),
    fixes: (stack) => [...worldEgressFixes(stack, 'no route to literal IPs outside the allow-list'), ...when(stack.mesh === 'istio-sidecar', FIX.registryOnly())],
  },
  EG2: {
    severity: rating('high', 'DNS through the cluster resolver carries data out on every stack that allows name lookups'),
    fixes: (stack) => [
      ...when(stack.cni === 'cilium', {
        layer: 'cni',
        feature: 'CiliumNetworkPolicy DNS rules (toPorts.rules.dns matchName/matchPattern)',
        policy: 'replace the DNS rule matchPattern "*" with the names the workload needs (e.g. matchPattern "*.svc.cluster.local" plus named external zones): other queries are refused by the DNS proxy',
        source: REF.ciliumDnsPolicy,
      }),
      {
        layer: 'cluster-dns',
        feature: 'CoreDNS forward plugin',
        policy: 'forward only approved external zones; no catch-all `forward .`, so queries for attacker zones never leave the cluster',
        source: REF.corednsForward,
      },
    ],
  },
  EG3: {
    severity: rating('high', 'a port-only "allow 53" rule lets DNS go straight to any server on the internet'),
    fixes: (stack) => [FIX.dnsOnlyToKubeDns(), ...when(stack.cni === 'cilium', { layer: 'cni', feature: 'CiliumNetworkPolicy toEndpoints kube-dns + DNS proxy', policy: 'allow port 53 only to kube-dns endpoints, with DNS rules', source: REF.ciliumDnsPolicy })],
  },
  EG4: {
    severity: rating('medium', 'ICMP echo payloads carry data out; no mesh captures ICMP'),
    fixes: (stack) => worldEgressFixes(stack, 'a default-deny egress policy drops ICMP too (no rule allows it)'),
  },
  EG5: {
    severity: rating('medium', 'an allow-list by IP is only as good as the names pinned to those IPs'),
    fixes: (stack) => [...worldEgressFixes(stack, 'allow the real destination only'), ...when(stack.mesh === 'istio-sidecar', FIX.registryOnly())],
  },
  EG6: {
    severity: rating('high', 'a pod annotation excludes ports from the sidecar and sends around the mesh\'s egress path'),
    fixes: (stack) => [
      ...worldEgressFixes(stack, 'the annotation changes the pod\'s iptables, not the CNI\'s policy'),
      FIX.refusePodSpec('set traffic.sidecar.istio.io/excludeOutboundPorts or the other exclude* annotations, outside an allow-list'),
    ],
  },
  EG7: {
    severity: rating('critical', 'the cloud metadata endpoint hands out node credentials to any pod that reaches it'),
    fixes: (stack) => [
      FIX.defaultDenyEgress('169.254.169.254/32 in ipBlock.except of any broad allow'),
      ...when(stack.cni === 'cilium', FIX.ciliumEntities('metadata is "world" traffic: do not allow world by CIDR')),
      ...when(stack.mesh === 'istio-sidecar', FIX.registryOnly()),
    ],
  },
  EG8: {
    severity: rating('high', 'any root container forges another workload\'s source address with the default CAP_NET_RAW: address-based trust and logs downstream believe it'),
    fixes: (stack) => [
      FIX.dropNetRaw(),
      ...when(stack.cni === 'calico', {
        layer: 'cni',
        feature: 'Calico FelixConfiguration workloadSourceSpoofing',
        policy: 'keep the default Disabled (never Any), so no pod annotation (cni.projectcalico.org/allowedSourcePrefixes) can lift the source check',
        source: REF.calicoWorkloadSourceSpoofing,
      }),
      ...when(stack.cni === 'cilium', {
        layer: 'cni',
        feature: 'Cilium daemon.enableSourceIPVerification',
        policy: 'keep source IP verification on (the default) for every endpoint',
        source: REF.ciliumSourceIpVerification,
      }),
      ...when(stack.cni === 'kindnet', FIX.defaultDenyEgress('NetworkPolicy applies to what leaves the pod\'s interface, whatever source address it claims')),
    ],
  },
};
