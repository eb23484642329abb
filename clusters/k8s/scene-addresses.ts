import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { InfrastructureError } from '../../core/domain/errors.ts';
import type { NodeAddress, SceneAddresses } from '../../core/domain/scene-addresses.ts';
import { API_NODE_PORT } from '../../manifests/scene/services.ts';
import { sceneSinkAddress } from '../../manifests/scene/sink-address.ts';
import { SCENE } from '../../manifests/scene.ts';

/** API server port inside a kind control-plane node (kubeadm's default). */
const API_SERVER_PORT = 6443;

/**
 * The scene's addresses, read from the cluster once it is up: node InternalIPs, workload pod IPs (keyed
 * `namespace/app`), the control plane as pods reach it, and the sink container's IP on the `kind` network.
 */
export async function readSceneAddresses(kubeConfig: KubeConfig, sinkIp: string): Promise<SceneAddresses> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const nodes: NodeAddress[] = (await core.listNode()).items.map((node) => ({
    name: node.metadata?.name ?? '',
    ip: node.status?.addresses?.find((address) => address.type === 'InternalIP')?.address ?? '',
  }));
  const controlPlane = nodes.find((node) => node.name.endsWith('-control-plane'));
  if (controlPlane === undefined) throw new InfrastructureError('scene addresses', 'no control-plane node found');
  const workloads: Record<string, { podIp: string; node: string }> = {};
  for (const namespace of Object.values(SCENE.namespaces)) {
    const pods = await core.listNamespacedPod({ namespace, labelSelector: SCENE.appLabel });
    for (const pod of pods.items) {
      const app = pod.metadata?.labels?.[SCENE.appLabel];
      if (app === undefined || pod.status?.podIP === undefined) continue;
      workloads[`${namespace}/${app}`] = { podIp: pod.status.podIP, node: pod.spec?.nodeName ?? '' };
    }
  }
  return {
    sink: sceneSinkAddress(sinkIp),
    metadata: { ip: SCENE.metadata.ip, port: SCENE.metadata.port },
    nodes,
    apiServer: { host: controlPlane.ip, port: API_SERVER_PORT },
    workloads,
    apiNodePort: API_NODE_PORT,
  };
}
