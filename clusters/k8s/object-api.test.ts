import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKindProfiles } from '../../core/config/testing/all-profiles.ts';
import type { KubeObject } from '../../core/domain/cluster.ts';
import { renderSceneObjects } from '../../manifests/render-scene-objects.ts';
import { objectApi } from './object-api.ts';
import { startRecordingApiServer, type DiscoveredKind, type RecordingApiServer } from './testing/recording-api-server.ts';

/**
 * An abridged GatewayClass CRD as Gateway API ships it
 * (https://github.com/kubernetes-sigs/gateway-api/blob/main/config/crd/standard/gateway.networking.k8s.io_gatewayclasses.yaml):
 * the parts a typed model drops — `default`, `enum`, `x-kubernetes-validations`, list markers — plus a `$ref`
 * and `x-kubernetes-int-or-string`, which other CRDs (Istio's, Cilium's) carry.
 */
const GATEWAY_CLASS_CRD: KubeObject = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'gatewayclasses.gateway.networking.k8s.io', annotations: { 'gateway.networking.k8s.io/channel': 'standard' } },
  spec: {
    group: 'gateway.networking.k8s.io',
    names: { kind: 'GatewayClass', listKind: 'GatewayClassList', plural: 'gatewayclasses', singular: 'gatewayclass', shortNames: ['gc'] },
    scope: 'Cluster',
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {} },
        additionalPrinterColumns: [{ jsonPath: '.spec.controllerName', name: 'Controller', type: 'string' }],
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                required: ['controllerName'],
                properties: {
                  controllerName: {
                    type: 'string',
                    maxLength: 253,
                    minLength: 1,
                    pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\\/[A-Za-z0-9\\/\\-._~%!$&\'()*+,;=:]+$',
                    'x-kubernetes-validations': [{ message: 'Value is immutable', rule: 'self == oldSelf' }],
                  },
                  port: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
                  parametersRef: { $ref: '#/definitions/ParametersReference' },
                },
              },
              status: {
                type: 'object',
                default: { conditions: [{ lastTransitionTime: '1970-01-01T00:00:00Z', message: 'Waiting for controller', reason: 'Pending', status: 'Unknown', type: 'Accepted' }] },
                properties: {
                  conditions: {
                    type: 'array',
                    maxItems: 8,
                    'x-kubernetes-list-map-keys': ['type'],
                    'x-kubernetes-list-type': 'map',
                    items: { type: 'object', properties: { status: { type: 'string', enum: ['True', 'False', 'Unknown'] } } },
                  },
                },
              },
            },
          },
        },
      },
    ],
  },
};

const CUSTOM_RESOURCE: KubeObject = {
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'GatewayClass',
  metadata: { name: 'istio-waypoint' },
  spec: { controllerName: 'istio.io/mesh-controller', port: '15008' },
};

function discoveredKinds(objects: readonly KubeObject[]): DiscoveredKind[] {
  const kinds = new Map<string, DiscoveredKind>();
  for (const object of objects) {
    kinds.set(`${object.apiVersion}|${object.kind}`, {
      apiVersion: object.apiVersion,
      kind: object.kind,
      resource: `${object.kind.toLowerCase()}s`,
      namespaced: object.metadata.namespace !== undefined,
    });
  }
  return [...kinds.values()];
}

let everyObject: KubeObject[];
let server: RecordingApiServer;

beforeAll(async () => {
  const scenes = (await loadKindProfiles()).flatMap((profile) => renderSceneObjects(profile).flat());
  everyObject = [GATEWAY_CLASS_CRD, CUSTOM_RESOURCE, ...scenes];
  server = await startRecordingApiServer({ kinds: discoveredKinds(everyObject) });
});

afterAll(async () => {
  await server[Symbol.asyncDispose]();
});

describe('server-side apply over HTTPS to a recording API server', () => {
  it('sends every object of every kind profile, the Gateway API CRD and a custom resource byte for byte as given', async () => {
    const api = objectApi(server.kubeConfig);
    server.applies.length = 0;
    for (const object of everyObject) await api.serverSideApply(object, false);
    expect(server.applies).toHaveLength(everyObject.length);
    everyObject.forEach((object, index) => {
      const recorded = server.applies[index];
      expect(recorded?.body, `${object.kind} ${object.metadata.name}`).toBe(JSON.stringify(object));
      expect(recorded).toMatchObject({ contentType: 'application/apply-patch+yaml', fieldManager: 'breachmatrix', force: 'false' });
    });
  });

  it('keeps a NetworkPolicy ingress rule\'s `from` (a typed model drops it: "allow from anywhere")', async () => {
    const policies = everyObject.filter((object) => object.kind === 'NetworkPolicy');
    const withFrom = policies.find((policy) => JSON.stringify(policy.spec).includes('"from"'));
    if (withFrom === undefined) throw new Error('no rendered NetworkPolicy has an ingress `from`');
    server.applies.length = 0;
    await objectApi(server.kubeConfig).serverSideApply(withFrom, true);
    const sent = JSON.parse(server.applies[0]?.body ?? '{}') as KubeObject;
    expect(sent).toEqual(withFrom);
    expect(server.applies[0]?.force).toBe('true');
  });

  it('keeps the CRD schema markers: default, enum, $ref, x-kubernetes-*', async () => {
    server.applies.length = 0;
    await objectApi(server.kubeConfig).serverSideApply(GATEWAY_CLASS_CRD, false);
    const body = server.applies[0]?.body ?? '';
    for (const marker of ['"default"', '"enum"', '"$ref"', '"x-kubernetes-validations"', '"x-kubernetes-list-type"', '"x-kubernetes-int-or-string"']) {
      expect(body).toContain(marker);
    }
    expect(server.applies[0]?.path).toBe('/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gatewayclasses.gateway.networking.k8s.io');
  });

  it('does not change the object it was given (no namespace or apiVersion filled in)', async () => {
    const object: KubeObject = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'no-namespace' } };
    const before = structuredClone(object);
    await objectApi(server.kubeConfig).serverSideApply(object, false);
    expect(object).toEqual(before);
    expect(server.applies.at(-1)?.path).toBe('/api/v1/namespaces/default/serviceaccounts/no-namespace');
  });
});
