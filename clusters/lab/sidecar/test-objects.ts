import type { KubeObject } from '../../../core/domain/cluster.ts';

/** Istio objects of the scene's mesh layer (the layered policy set's mesh part), shared by this folder's tests. */
export function peerAuthentication(
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
): KubeObject {
  return { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name, namespace }, spec };
}

export function authorizationPolicy(namespace: string, name: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name, namespace }, spec };
}

export function sidecarObject(namespace: string, name: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: 'networking.istio.io/v1', kind: 'Sidecar', metadata: { name, namespace }, spec };
}

export const MESH_STRICT = peerAuthentication('istio-system', 'default', { mtls: { mode: 'STRICT' } });

/** `api` admits only `frontend`, `GET /api/*`. */
export const API_ALLOW_FRONTEND = authorizationPolicy('bm-app', 'api', {
  selector: { matchLabels: { app: 'api' } },
  action: 'ALLOW',
  rules: [
    {
      from: [{ source: { principals: ['cluster.local/ns/bm-app/sa/frontend'] } }],
      to: [{ operation: { methods: ['GET'], paths: ['/api/*'] } }],
    },
  ],
});

/** An explicit DENY on `/admin` (SC10's target). */
export const API_DENY_ADMIN = authorizationPolicy('bm-app', 'deny-admin', {
  selector: { matchLabels: { app: 'api' } },
  action: 'DENY',
  rules: [{ to: [{ operation: { paths: ['/admin', '/admin/*'] } }] }],
});

/** `db` admits only `api`. */
export const DB_ALLOW_API = authorizationPolicy('bm-app', 'db', {
  selector: { matchLabels: { app: 'db' } },
  action: 'ALLOW',
  rules: [{ from: [{ source: { principals: ['cluster.local/ns/bm-app/sa/api'] } }] }],
});

export const REGISTRY_ONLY = sidecarObject('bm-app', 'default', { outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } });
