import { helmInstall } from '../helm-release.ts';
import type { InstallerContext } from '../installer-context.ts';
import type { InstallerPart } from '../plan-types.ts';
import { rolloutWait } from '../wait-steps.ts';

/** The API server as the nodes reach it: without kube-proxy, Cilium cannot use the Service IP to find it. */
const API_SERVER_PORT = 6443;

/**
 * Cilium's kind values. Hubble and Relay on, and `bpf.monitorAggregation=none` so every drop is a flow the
 * evidence collector can read. With Istio: `cni.exclusive=false` (istio-cni needs its own config to stay),
 * `socketLB.hostNamespaceOnly=true` (socket LB would bypass the sidecar's capture) and no BPF masquerade.
 * WireGuard profiles add `encryption: { enabled: true, type: wireguard }` (pod traffic between nodes goes through a
 * WireGuard tunnel on UDP 51871; same-node traffic is not encrypted — docs.cilium.io, WireGuard Transparent Encryption).
 */
export function ciliumValues(context: InstallerContext): Record<string, unknown> {
  const { profile } = context;
  const withIstio = profile.mesh !== 'none';
  const kpr = profile.options.kubeProxyReplacement;
  return {
    ipam: { mode: 'kubernetes' },
    kubeProxyReplacement: kpr,
    ...(kpr ? { k8sServiceHost: `${context.clusterName}-control-plane`, k8sServicePort: API_SERVER_PORT } : {}),
    hubble: { enabled: true, relay: { enabled: true } },
    bpf: { monitorAggregation: 'none', ...(withIstio ? { masquerade: false } : {}) },
    operator: { replicas: 1 },
    ...(withIstio ? { cni: { exclusive: false }, socketLB: { hostNamespaceOnly: true } } : {}),
    ...(profile.options.encryption === 'wireguard' ? { encryption: { enabled: true, type: 'wireguard' } } : {}),
  };
}

export function ciliumInstaller(context: InstallerContext): InstallerPart {
  const chart = context.pins.charts.cilium;
  const helm = helmInstall(
    {
      component: 'cilium',
      release: 'cilium',
      chart: chart.chart ?? 'cilium',
      repo: chart.repo,
      version: context.versions.cilium,
      namespace: 'kube-system',
      values: ciliumValues(context),
    },
    context.kubeconfig,
  );
  return {
    files: [helm.file],
    steps: [
      helm.step,
      rolloutWait('cilium', 'DaemonSet', 'kube-system', 'cilium'),
      rolloutWait('cilium', 'Deployment', 'kube-system', 'cilium-operator'),
      rolloutWait('cilium', 'Deployment', 'kube-system', 'hubble-relay'),
    ],
  };
}
