import { describe, expect, it } from 'vitest';
import { ProcessRegistry } from '../process-registry.ts';
import { AmbientLayer } from './ambient-layer.ts';
import type { VipService } from './waypoint-config.ts';

const API: VipService = {
  namespace: 'bm-app',
  name: 'api',
  host: 'api.bm-app.svc.cluster.local',
  vip: '10.96.0.10',
  waypoint: 'waypoint',
  ports: [{ port: 8080, targetPort: 8081, http: true }],
  endpoints: [{ ip: '10.244.2.2', identity: 'spiffe://cluster.local/ns/bm-app/sa/api' }],
};

function layer(services: readonly VipService[]): AmbientLayer {
  return new AmbientLayer(
    {
      istioObjects: () => [],
      pods: () => [],
      namespaceLabels: () => ({}),
      serviceOf: () => undefined,
      caDir: '/nonexistent',
      nodes: () => [],
      vipServices: () => services,
      pathNormalization: 'BASE',
    },
    new ProcessRegistry(),
  );
}

describe("ztunnel's view of Service VIPs", () => {
  it('a Service naming a waypoint that does not run goes to its endpoints, as istiod reports WaypointIsNotReady and sets none', () => {
    // istio/istio pilot/pkg/serviceregistry/kube/controller/ambient/waypoints.go: fetchWaypointForTarget returns nil
    // (ReportWaypointIsNotReady) when the Gateway has no ready waypoint, so the Service carries no waypoint for ztunnel.
    const services = layer([API]).ztunnelServices();
    expect(services['10.96.0.10']).toEqual({ name: API.host, endpoints: ['10.244.2.2'], targetPorts: { '8080': 8081 } });
    expect(layer([API]).flowWaypoint({ destinationName: 'api.bm-app.svc.cluster.local' })).toEqual({ kind: 'none' });
  });
});
