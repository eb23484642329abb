import { SCENE } from './scene.ts';

/** Istio's SPIFFE-style principal for a service account (the `principals` field of AuthorizationPolicy). */
export function principal(namespace: string, serviceAccount: string): string {
  return `cluster.local/ns/${namespace}/sa/${serviceAccount}`;
}

/**
 * The ambient waypoint serving `api` (in ambient mode the scene's `/api/*` rule lives on a waypoint). Istio deploys it as a
 * Deployment named after the Gateway, running as a service account of the same name, and labels its pods
 * with `gateway.networking.k8s.io/gateway-name`. Scene (the api Service's `istio.io/use-waypoint` label),
 * NetworkPolicy and AuthorizationPolicy all refer to it through these constants.
 */
export const WAYPOINT = {
  name: 'waypoint',
  namespace: SCENE.namespaces.app,
  serviceAccount: 'waypoint',
  podLabel: { key: 'gateway.networking.k8s.io/gateway-name', value: 'waypoint' },
  useWaypointLabel: 'istio.io/use-waypoint',
  className: 'istio-waypoint',
} as const;

/** Where istiod runs and what it serves sidecars and waypoints on (XDS and certificates). */
export const ISTIOD = {
  namespace: 'istio-system',
  podLabel: { key: 'app', value: 'istiod' },
  xdsPort: 15012,
} as const;

/** Cluster DNS as kind, Calico and Cilium clusters deploy it. */
export const KUBE_DNS = {
  namespace: 'kube-system',
  podLabel: { key: 'k8s-app', value: 'kube-dns' },
  port: 53,
} as const;
