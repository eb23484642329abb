import type { Cluster, ClusterCreateOptions, ClusterProvider, SinkRecord } from '../../core/domain/cluster.ts';
import { InfrastructureError } from '../../core/domain/errors.ts';
import type { Profile } from '../../core/domain/profile.ts';
import type { SceneAddresses } from '../../core/domain/scene-addresses.ts';
import { KubeCluster } from '../k8s/kube-cluster.ts';
import { guardKubeconfig, type KubeconfigTarget } from './guard.ts';

export { guardKubeconfig, type KubeconfigTarget } from './guard.ts';

export interface KubeconfigProviderOptions extends KubeconfigTarget {
  /** Where the scene's sink and workloads are; an existing cluster has no side containers of ours. */
  readonly addresses?: () => Promise<SceneAddresses>;
  readonly sinkReceived?: (canary: string) => Promise<readonly SinkRecord[]>;
}

function missing(what: string): never {
  throw new InfrastructureError('kubeconfig provider', `${what} is not available on an existing cluster without a sink; pass one to createKubeconfigProvider`);
}

/**
 * An existing cluster named by kubeconfig context. The guard runs in the factory, in preflight and in create,
 * so no path reaches the API server without the opt-in and the expected server.
 */
export function createKubeconfigProvider(options: KubeconfigProviderOptions): ClusterProvider {
  guardKubeconfig(options);
  return {
    name: 'kubeconfig',
    preflight: async (): Promise<void> => {
      guardKubeconfig(options);
    },
    create: async (profile: Profile, createOptions: ClusterCreateOptions): Promise<Cluster> => {
      const kubeConfig = guardKubeconfig(options);
      createOptions.onProgress(`using existing cluster (context ${options.context}, server ${kubeConfig.getCurrentCluster()?.server ?? '?'})`);
      return new KubeCluster({
        name: options.context,
        provider: 'kubeconfig',
        profile,
        kubeConfig,
        addresses: options.addresses ?? (() => missing('the scene addresses')),
        sinkReceived: options.sinkReceived ?? (() => missing('the exfiltration sink')),
      });
    },
  };
}
