import { KubernetesObjectApi, PatchStrategy, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { KubeObject } from '../../core/domain/cluster.ts';
import { InfrastructureError } from '../../core/domain/errors.ts';

export const FIELD_MANAGER = 'breachmatrix';

/** The generic object API, with resource discovery opened up (it is protected upstream) for watch paths. */
export class ObjectApi extends KubernetesObjectApi {
  static forConfig(kubeConfig: KubeConfig): ObjectApi {
    const api = kubeConfig.makeApiClient(ObjectApi);
    api.setDefaultNamespace(kubeConfig);
    return api;
  }

  /** The REST collection path for a kind, e.g. `/apis/apps/v1/namespaces/kube-system/daemonsets`. */
  async collectionPath(apiVersion: string, kind: string, namespace?: string): Promise<string> {
    const resource = await this.resource(apiVersion, kind);
    if (resource === undefined) throw new InfrastructureError(kind, `the API server does not serve ${apiVersion} ${kind}`);
    const prefix = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const scope = resource.namespaced && namespace !== undefined ? `/namespaces/${namespace}` : '';
    return `${prefix}${scope}/${resource.name}`;
  }

  /** Server-side apply with the breachmatrix field manager. */
  async serverSideApply(object: KubeObject, force: boolean): Promise<void> {
    await this.patch(object as KubernetesObject, undefined, undefined, FIELD_MANAGER, force, PatchStrategy.ServerSideApply);
  }
}

export function objectApi(kubeConfig: KubeConfig): ObjectApi {
  return ObjectApi.forConfig(kubeConfig);
}
