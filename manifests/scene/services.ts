import type { V1Service, V1ServicePort, V1ServiceSpec } from '@kubernetes/client-node';
import type { KubeObject } from '../../core/domain/cluster.ts';
import type { StackTraits } from '../../core/domain/profile.ts';
import { asKubeObject, managedLabels } from '../kube-object.ts';
import { WAYPOINT } from '../mesh-identity.ts';
import { SCENE } from '../scene.ts';

/** Fixed so the lab and reports can name it; any free port in 30000-32767 works on a fresh cluster. */
export const API_NODE_PORT = 30080;

const { frontend, api, db } = SCENE.workloads;

// Port names and appProtocol tell Istio the protocol, so it never sniffs (db is server-agnostic raw TCP).
function httpPort(name: string, port: number): V1ServicePort {
  return { name, port, targetPort: port, protocol: 'TCP', appProtocol: 'http' };
}

function service(name: string, selectApp: string, ports: V1ServicePort[], extra: V1ServiceSpec = {}, labels: Record<string, string> = {}): KubeObject {
  const model: V1Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: SCENE.namespaces.app, labels: managedLabels({ [SCENE.appLabel]: selectApp, ...labels }) },
    spec: { selector: { [SCENE.appLabel]: selectApp }, ports, ...extra },
  };
  return asKubeObject(model);
}

/**
 * Whether `api` is routed through the ambient waypoint. Only when the mesh policy set (which renders the
 * waypoint Gateway) is applied: a `use-waypoint` label naming a Gateway that does not exist would break api.
 * The label goes on the Service, not the namespace, so only api's traffic takes the waypoint and db's L4 rule
 * keeps seeing the api principal.
 */
export function apiUsesWaypoint(stack: StackTraits): boolean {
  return stack.mesh === 'istio-ambient' && stack.meshPolicies;
}

export function buildServices(stack: StackTraits): KubeObject[] {
  const waypointLabel: Record<string, string> = apiUsesWaypoint(stack) ? { [WAYPOINT.useWaypointLabel]: WAYPOINT.name } : {};
  return [
    service(frontend.name, frontend.name, [httpPort('http', frontend.port)]),
    service(api.name, api.name, [httpPort('http', api.port), httpPort('http-metrics', api.metricsPort)], {}, waypointLabel),
    service(db.name, db.name, [{ name: 'tcp-db', port: db.port, targetPort: db.port, protocol: 'TCP', appProtocol: 'tcp' }]),
    // LM3: the NodePort path, source NATed to a node with externalTrafficPolicy Cluster.
    service(
      'api-nodeport',
      api.name,
      [{ ...httpPort('http', api.port), nodePort: API_NODE_PORT }],
      { type: 'NodePort', externalTrafficPolicy: 'Cluster' },
    ),
  ];
}
