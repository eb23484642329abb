import { ApiException, HttpMethod, KubernetesObjectApi, PatchStrategy, type KubeConfig, type KubernetesObject, type ResponseContext } from '@kubernetes/client-node';
import type { KubeObject } from '../../core/domain/cluster.ts';
import { InfrastructureError } from '../../core/domain/errors.ts';

export const FIELD_MANAGER = 'breachmatrix';

/** A response type no model has: `processResponse` hands such responses back as the server's JSON, untouched. */
const RAW_JSON = 'breachmatrix:raw-json';

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
  async serverSideApply(object: KubeObject, force: boolean): Promise<KubeObject> {
    // specUriPath fills in a default namespace and apiVersion on what it is given: give it a copy.
    const path = await this.specUriPath(structuredClone(object) as KubernetesObject, 'patch');
    const request = this.configuration.baseServer.makeRequestContext(path, HttpMethod.PATCH);
    request.setHeaderParam('Accept', 'application/json');
    request.setHeaderParam('Content-Type', PatchStrategy.ServerSideApply);
    request.setQueryParam('fieldManager', FIELD_MANAGER);
    request.setQueryParam('force', String(force));
    // JSON is YAML, which is what application/apply-patch+yaml takes.
    request.setBody(JSON.stringify(object));
    // The object as stored, untouched: its uid is what a later deletion of exactly this object names.
    return (await this.requestPromise<KubernetesObject>(request, RAW_JSON)) as KubeObject;
  }

  /**
   * DELETE one object, only if it is still the instance with `uid`: the DeleteOptions precondition makes the API
   * server refuse (409) an object of the same name that someone else made meanwhile
   * (https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/delete-options/#DeleteOptions).
   */
  async deleteExact(object: KubeObject, uid: string): Promise<void> {
    const header: KubernetesObject = { apiVersion: object.apiVersion, kind: object.kind, metadata: { name: object.metadata.name, ...(object.metadata.namespace === undefined ? {} : { namespace: object.metadata.namespace }) } };
    const request = this.configuration.baseServer.makeRequestContext(await this.specUriPath(header, 'delete'), HttpMethod.DELETE);
    request.setHeaderParam('Accept', 'application/json');
    request.setHeaderParam('Content-Type', 'application/json');
    request.setBody(JSON.stringify({ apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { uid } }));
    await this.requestPromise<KubernetesObject>(request, RAW_JSON);
  }

  /**
   * GET one object exactly as the API server returns it (undefined on 404). Not `read()`: its model
   * deserialisation drops fields the client's models do not know, which would hide what a read-back must see.
   */
  async readRaw(object: KubeObject): Promise<KubeObject | undefined> {
    const header: KubernetesObject = { apiVersion: object.apiVersion, kind: object.kind, metadata: { name: object.metadata.name, ...(object.metadata.namespace === undefined ? {} : { namespace: object.metadata.namespace }) } };
    const context = this.configuration.baseServer.makeRequestContext(await this.specUriPath(header, 'read'), HttpMethod.GET);
    context.setHeaderParam('Accept', 'application/json');
    try {
      return await this.requestPromise<KubernetesObject>(context, RAW_JSON) as KubeObject;
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) return undefined;
      throw error;
    }
  }

  protected override async processResponse<T extends KubernetesObject>(response: ResponseContext, type?: string): Promise<T> {
    if (type !== RAW_JSON) return super.processResponse<T>(response, type);
    const body = await response.body.text();
    if (response.httpStatusCode >= 200 && response.httpStatusCode <= 299) return JSON.parse(body) as T;
    throw new ApiException(response.httpStatusCode, 'Unsuccessful HTTP Request', body, response.headers);
  }
}

export function objectApi(kubeConfig: KubeConfig): ObjectApi {
  return ObjectApi.forConfig(kubeConfig);
}
