import type { KubeObject } from '../../../core/domain/cluster.ts';
import type { PathNormalization } from '../../../core/domain/profile.ts';
import { SCENE } from '../../../manifests/scene.ts';
import { compilePolicy } from '../sidecar/authorization-policy.ts';
import { authorizationPolicies, type AuthorizationPolicyView } from '../sidecar/istio-objects.ts';
import { spiffeIdOf } from '../sidecar/lab-ca.ts';
import type { WaypointHaproxyModel } from './waypoint-haproxy-config.ts';
import type { WaypointView } from './waypoint-gateway.ts';

/** A Service with a ClusterIP in the lab (service-vips.ts), as the ambient layer sees it. */
export interface VipService {
  readonly namespace: string;
  readonly name: string;
  /** `<svc>.<ns>.svc.cluster.local`. */
  readonly host: string;
  readonly vip: string;
  /** The Gateway named by `istio.io/use-waypoint` (same namespace), if any. */
  readonly waypoint?: string;
  readonly ports: readonly { readonly port: number; readonly targetPort: number; readonly http: boolean }[];
  /** Pods the Service selects, with the SPIFFE identity their ztunnel presents. */
  readonly endpoints: readonly { readonly ip: string; readonly identity: string }[];
}

const GATEWAY_GROUP = 'gateway.networking.k8s.io';

/**
 * The AuthorizationPolicies a waypoint enforces for one Service: those in the Service's namespace attached with
 * `targetRefs` to the Service (group "") or to the waypoint's Gateway (istio.io, "Attach L7 policies to waypoint
 * proxies": https://istio.io/latest/docs/ambient/usage/waypoint/#attachl7policies).
 */
export function waypointPolicies(objects: readonly KubeObject[], waypoint: WaypointView, service: VipService): AuthorizationPolicyView[] {
  return authorizationPolicies(objects).filter(
    (policy) =>
      policy.namespace === service.namespace &&
      (policy.targetRefs ?? []).some(
        (target) =>
          (target.kind === 'Service' && target.group === '' && target.name === service.name) ||
          (target.kind === 'Gateway' && target.group === GATEWAY_GROUP && target.name === waypoint.name && policy.namespace === waypoint.namespace),
      ),
  );
}

/** Services this waypoint serves: those in its namespace naming it in `istio.io/use-waypoint`. */
export function servedServices(waypoint: WaypointView, services: readonly VipService[]): VipService[] {
  return services.filter((service) => service.namespace === waypoint.namespace && service.waypoint === waypoint.name);
}

export const WAYPOINT_LOOPBACK_PORTS = { http: 15101, tcp: 15102, upstream: 15103 } as const;

export function waypointHaproxyModel(
  pod: string,
  waypoint: WaypointView,
  objects: readonly KubeObject[],
  services: readonly VipService[],
  pathNormalization: PathNormalization,
): WaypointHaproxyModel {
  return {
    pod,
    pathNormalization,
    ports: WAYPOINT_LOOPBACK_PORTS,
    services: servedServices(waypoint, services).map((service) => {
      const policies = waypointPolicies(objects, waypoint, service);
      return {
        host: service.host,
        vip: service.vip,
        httpPolicies: policies.map((policy) => compilePolicy(policy, 'http')),
        tcpPolicies: policies.map((policy) => compilePolicy(policy, 'tcp')),
      };
    }),
  };
}

/** The file lab_waypoint.py reads. */
export interface WaypointProcessConfig {
  readonly pod: { readonly ip: string; readonly namespace: string; readonly workload: string; readonly identity: string };
  readonly certPath: string;
  readonly keyPath: string;
  readonly caPath: string;
  readonly hbonePort: number;
  readonly skipMark: number;
  readonly haproxy: { readonly http: number; readonly tcp: number };
  readonly upstreamPort: number;
  readonly services: Readonly<
    Record<string, {
      readonly name: string;
      readonly ports: Readonly<Record<string, { readonly protocol: 'http' | 'tcp'; readonly targetPort: number }>>;
      readonly endpoints: readonly { readonly ip: string; readonly identity: string }[];
    }>
  >;
}

export function waypointProcessConfig(
  pod: { readonly ip: string; readonly name: string },
  waypoint: WaypointView,
  services: readonly VipService[],
  files: { readonly certPath: string; readonly keyPath: string; readonly caPath: string },
): WaypointProcessConfig {
  return {
    pod: { ip: pod.ip, namespace: waypoint.namespace, workload: pod.name, identity: spiffeIdOf(waypoint.namespace, waypoint.name) },
    ...files,
    hbonePort: SCENE.hbonePort,
    skipMark: 0x3,
    haproxy: { http: WAYPOINT_LOOPBACK_PORTS.http, tcp: WAYPOINT_LOOPBACK_PORTS.tcp },
    upstreamPort: WAYPOINT_LOOPBACK_PORTS.upstream,
    services: Object.fromEntries(
      servedServices(waypoint, services).map((service) => [
        service.vip,
        {
          name: service.host,
          ports: Object.fromEntries(
            service.ports.map((port) => [String(port.port), { protocol: port.http ? ('http' as const) : ('tcp' as const), targetPort: port.targetPort }]),
          ),
          endpoints: service.endpoints,
        },
      ]),
    ),
  };
}
