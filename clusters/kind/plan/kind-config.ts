import type { Profile } from '../../../core/domain/profile.ts';

/** kind.x-k8s.io/v1alpha4 Cluster, the subset breachmatrix writes (fields: https://kind.sigs.k8s.io/docs/user/configuration/). */
export interface KindNode {
  readonly role: 'control-plane' | 'worker';
  readonly image: string;
  readonly labels?: Readonly<Record<string, string>>;
}

export type KubeProxyMode = 'iptables' | 'ipvs' | 'nftables' | 'none';

export interface KindClusterConfig {
  readonly kind: 'Cluster';
  readonly apiVersion: 'kind.x-k8s.io/v1alpha4';
  readonly name: string;
  readonly networking: {
    readonly disableDefaultCNI: boolean;
    readonly kubeProxyMode: KubeProxyMode;
    readonly podSubnet: string;
    readonly serviceSubnet: string;
  };
  readonly nodes: readonly KindNode[];
  readonly containerdConfigPatches?: readonly string[];
}

export const SERVICE_SUBNET = '10.96.0.0/16';

/**
 * The pod CIDR each CNI is configured with: Calico's IP pool (the Installation) and kind's podSubnet must
 * agree, Cilium's `ipam.mode=kubernetes` takes the node CIDRs kube-controller-manager carves from podSubnet.
 */
export function podSubnetFor(profile: Profile): string {
  return profile.cni === 'calico' ? '192.168.0.0/16' : '10.244.0.0/16';
}

/** kube-proxy goes only when Cilium replaces it. */
export function kubeProxyModeFor(profile: Profile): KubeProxyMode {
  return profile.cni === 'cilium' && profile.options.kubeProxyReplacement ? 'none' : 'iptables';
}

/** containerd reads per-registry hosts.toml from here, so a pull-through cache can be configured per node. */
export const CONTAINERD_CERTS_DIR = '/etc/containerd/certs.d';

export function buildKindConfig(
  profile: Profile,
  clusterName: string,
  nodeImage: string,
  options: { readonly registryCache: boolean },
): KindClusterConfig {
  const workers: KindNode[] = Array.from({ length: profile.options.workers }, () => ({ role: 'worker', image: nodeImage }));
  return {
    kind: 'Cluster',
    apiVersion: 'kind.x-k8s.io/v1alpha4',
    name: clusterName,
    networking: {
      disableDefaultCNI: profile.cni !== 'kindnet',
      kubeProxyMode: kubeProxyModeFor(profile),
      podSubnet: podSubnetFor(profile),
      serviceSubnet: SERVICE_SUBNET,
    },
    nodes: [{ role: 'control-plane', image: nodeImage }, ...workers],
    ...(options.registryCache
      ? { containerdConfigPatches: [`[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "${CONTAINERD_CERTS_DIR}"`] }
      : {}),
  };
}
