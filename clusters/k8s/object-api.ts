import { HttpMethod, KubernetesObjectApi, PatchStrategy, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
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

  /**
   * Server-side apply with the breachmatrix field manager; the body on the wire is exactly `object`, as JSON.
   *
   * Not `KubernetesObjectApi.patch`: client-node 2.0.1 passes built-in kinds through its typed models before
   * serialising (`ObjectSerializer.serialize(spec, getSerializationType(...))` in dist/object.js), and their
   * attribute names differ from the JSON ones, so a NetworkPolicy rule loses `from` and a CRD schema loses
   * `enum`, `default`, `$ref` and the `x-kubernetes-*` markers. The request still goes through the client's own
   * request pipeline (server, TLS, auth and middleware from the kubeconfig); only the body is ours.
   */
  async serverSideApply(object: KubeObject, force: boolean): Promise<void> {
    // specUriPath fills in a default namespace and apiVersion on what it is given: give it a copy.
    const path = await this.specUriPath(structuredClone(object) as KubernetesObject, 'patch');
    const request = this.configuration.baseServer.makeRequestContext(path, HttpMethod.PATCH);
    request.setHeaderParam('Accept', 'application/json');
    request.setHeaderParam('Content-Type', PatchStrategy.ServerSideApply);
    request.setQueryParam('fieldManager', FIELD_MANAGER);
    request.setQueryParam('force', String(force));
    // JSON is YAML, which is what application/apply-patch+yaml takes.
    request.setBody(JSON.stringify(object));
    await this.requestPromise(request, 'KubernetesObject');
  }
}

export function objectApi(kubeConfig: KubeConfig): ObjectApi {
  return ObjectApi.forConfig(kubeConfig);
}
