import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../core/domain/cluster.ts';
import { waypointGateway } from '../../../manifests/policies/istio-policies.ts';
import { asKubeObject } from '../../../manifests/kube-object.ts';
import { checkUseWaypointLabels, isWaypointGateway, parseWaypointGateway, serviceWaypoint, waypointPodSpec } from './waypoint-gateway.ts';

/** The Gateway istio.io's "Configure waypoint proxies" page deploys (https://istio.io/latest/docs/ambient/usage/waypoint/). */
function gateway(spec: Record<string, unknown>, labels: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'waypoint', namespace: 'default', labels }, spec };
}
const DOCUMENTED = { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] };

describe('waypoint Gateway', () => {
  it("accepts istio.io's waypoint and the scene's own (what kind's istio-ambient profile applies)", () => {
    expect(parseWaypointGateway(gateway(DOCUMENTED))).toEqual({ namespace: 'default', name: 'waypoint' });
    expect(parseWaypointGateway(gateway({ ...DOCUMENTED, listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE', allowedRoutes: { namespaces: { from: 'Same' } } }] })))
      .toEqual({ namespace: 'default', name: 'waypoint' });
    const scene = asKubeObject(waypointGateway());
    expect(isWaypointGateway(scene)).toBe(true);
    expect(parseWaypointGateway(scene)).toEqual({ namespace: 'bm-app', name: 'waypoint' });
  });

  it('leaves other Gateway classes to "not modelled"', () => {
    expect(isWaypointGateway(gateway({ ...DOCUMENTED, gatewayClassName: 'istio' }))).toBe(false);
  });

  it('refuses what it does not model, naming the field: waypoint-for other than service, other listeners, unknown fields', () => {
    // istio.io: `istio.io/waypoint-for` may be service (default), workload, all or none; the lab serves Service traffic only.
    expect(() => parseWaypointGateway(gateway(DOCUMENTED, { 'istio.io/waypoint-for': 'all' }))).toThrow(/istio\.io\/waypoint-for.*"all" is not modelled/);
    expect(() => parseWaypointGateway(gateway({ ...DOCUMENTED, listeners: [{ name: 'mesh', port: 15009, protocol: 'HBONE' }] }))).toThrow(/spec\.listeners\.0\.port/);
    expect(() => parseWaypointGateway(gateway({ ...DOCUMENTED, addresses: [] }))).toThrow(/spec\.addresses: unknown field/);
    expect(() => parseWaypointGateway(gateway({ ...DOCUMENTED, listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE', allowedRoutes: { namespaces: { from: 'All' } } }] })))
      .toThrow(/allowedRoutes/);
  });

  it('refuses cross-namespace and ingress waypoint labels', () => {
    expect(() => checkUseWaypointLabels({ 'istio.io/use-waypoint-namespace': 'other' }, 'Service bm-app/api')).toThrow(/use-waypoint-namespace is not modelled/);
    expect(() => checkUseWaypointLabels({ 'istio.io/ingress-use-waypoint': 'true' }, 'Service bm-app/api')).toThrow(/ingress-use-waypoint is not modelled/);
    expect(() => checkUseWaypointLabels({ 'istio.io/use-waypoint': 'waypoint' }, 'Service bm-app/api')).not.toThrow();
  });
});

describe('serviceWaypoint: istio.io/use-waypoint on the Service, else its namespace; "none" opts out', () => {
  // istio/istio pilot/pkg/serviceregistry/kube/controller/ambient/waypoints.go getUseWaypoint / fetchWaypointForTarget.
  it('follows the Service label first, then the namespace label', () => {
    expect(serviceWaypoint({ 'istio.io/use-waypoint': 'svc-wp' }, { 'istio.io/use-waypoint': 'ns-wp' })).toBe('svc-wp');
    expect(serviceWaypoint({}, { 'istio.io/use-waypoint': 'ns-wp' })).toBe('ns-wp');
    expect(serviceWaypoint({ 'istio.io/use-waypoint': 'none' }, { 'istio.io/use-waypoint': 'ns-wp' })).toBeUndefined();
    expect(serviceWaypoint({}, {})).toBeUndefined();
  });
});

describe('waypointPodSpec', () => {
  it("is the pod istiod deploys: the Gateway's name and service account, gateway-name label, out of ambient capture, istio-proxy as 1337", () => {
    const spec = waypointPodSpec({ namespace: 'bm-app', name: 'waypoint' });
    expect(spec.metadata?.labels).toMatchObject({ 'gateway.networking.k8s.io/gateway-name': 'waypoint', 'istio.io/dataplane-mode': 'none' });
    expect(spec.spec?.serviceAccountName).toBe('waypoint');
    expect(spec.spec?.containers[0]).toMatchObject({ name: 'istio-proxy', securityContext: { runAsUser: 1337, runAsNonRoot: true } });
  });
});
