import { KubeCluster, type KubeClusterOptions } from '../kube-cluster.ts';

/** What a test names: which cluster, and the stand-in API server it talks to. */
export type LoopbackKubeClusterOptions = Pick<KubeClusterOptions, 'name' | 'provider' | 'profile' | 'kubeConfig'> & Partial<KubeClusterOptions>;

/** A KubeCluster against a loopback stand-in API server, with no scene addresses and an empty sink (these tests read neither). */
export function loopbackKubeCluster(options: LoopbackKubeClusterOptions): KubeCluster {
  return new KubeCluster({ addresses: () => Promise.reject(new Error('unused')), sinkReceived: () => Promise.resolve([]), ...options });
}
