import { z } from 'zod';
import type { V1Pod } from '@kubernetes/client-node';
import type { KubeObject } from '../../../core/domain/cluster.ts';
import { BadInputError } from '../../../core/domain/errors.ts';
import { SCENE } from '../../../manifests/scene.ts';
import { AMBIENT_LABEL } from './index.ts';

/**
 * The ambient waypoint as istio.io describes it (https://istio.io/latest/docs/ambient/usage/waypoint/): a Gateway of
 * class `istio-waypoint` with one HBONE listener on 15008; istiod deploys it as a Deployment named after the
 * Gateway, running as a service account of the same name, its pods labelled `gateway.networking.k8s.io/gateway-name`.
 * Resources opt in with `istio.io/use-waypoint: <gateway>` on the Service or its namespace. What the lab models:
 * `istio.io/waypoint-for: service` (the default) — traffic addressed to a Service goes through the waypoint, traffic
 * to a pod IP does not ("by default only services use the namespace waypoint"). Everything else is refused by name.
 */

export const WAYPOINT_CLASS = 'istio-waypoint';
export const USE_WAYPOINT_LABEL = 'istio.io/use-waypoint';
export const WAYPOINT_FOR_LABEL = 'istio.io/waypoint-for';
export const GATEWAY_NAME_LABEL = 'gateway.networking.k8s.io/gateway-name';
/** Labels the lab refuses on a Service or namespace: cross-namespace waypoints and ingress routing are not modelled. */
const UNMODELLED_USE_LABELS = ['istio.io/use-waypoint-namespace', 'istio.io/ingress-use-waypoint'] as const;

export interface WaypointView {
  readonly namespace: string;
  readonly name: string;
}

const listenerSchema = z.strictObject({
  name: z.string().min(1),
  port: z.literal(SCENE.hbonePort),
  protocol: z.literal('HBONE'),
  allowedRoutes: z.strictObject({ namespaces: z.strictObject({ from: z.literal('Same') }).optional() }).optional(),
});
const gatewaySpec = z.strictObject({
  gatewayClassName: z.literal(WAYPOINT_CLASS),
  listeners: z.array(listenerSchema).length(1),
});

/** Whether an object is a waypoint Gateway (anything else of the Gateway API stays "not modelled"). */
export function isWaypointGateway(object: KubeObject): boolean {
  if (object.kind !== 'Gateway' || !object.apiVersion.startsWith('gateway.networking.k8s.io/')) return false;
  const spec = object['spec'];
  return typeof spec === 'object' && spec !== null && (spec as { gatewayClassName?: unknown }).gatewayClassName === WAYPOINT_CLASS;
}

/** A waypoint Gateway, validated: every field the lab does not model is refused with its path. */
export function parseWaypointGateway(object: KubeObject): WaypointView {
  const where = `Gateway ${object.metadata.namespace ?? '?'}/${object.metadata.name}`;
  const namespace = object.metadata.namespace;
  if (namespace === undefined || namespace === '') throw new BadInputError('a waypoint Gateway needs metadata.namespace', where, 'a namespaced Gateway');
  const waypointFor = object.metadata.labels?.[WAYPOINT_FOR_LABEL];
  if (waypointFor !== undefined && waypointFor !== 'service') {
    throw new BadInputError(
      `metadata.labels["${WAYPOINT_FOR_LABEL}"]: "${waypointFor}" is not modelled by the lab waypoint`,
      where,
      '"service" (the default): the lab waypoint serves traffic addressed to a Service only',
    );
  }
  const result = gatewaySpec.safeParse(object['spec'] ?? {});
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = ['spec', ...(issue?.path ?? []).map(String), ...(issue?.code === 'unrecognized_keys' ? [issue.keys[0] ?? ''] : [])].join('.');
    const message = issue?.code === 'unrecognized_keys' ? 'unknown field' : (issue?.message ?? 'invalid');
    throw new BadInputError(`${path}: ${message}`, where, `gatewayClassName ${WAYPOINT_CLASS}, one listener {name, port: ${SCENE.hbonePort}, protocol: HBONE}`);
  }
  return { namespace, name: object.metadata.name };
}

/** Refuses the use-waypoint variants the lab does not model, on a Service or namespace. */
export function checkUseWaypointLabels(labels: Readonly<Record<string, string>>, where: string): void {
  for (const label of UNMODELLED_USE_LABELS) {
    if (labels[label] !== undefined) {
      throw new BadInputError(`label ${label} is not modelled by the lab waypoint`, where, `${USE_WAYPOINT_LABEL} on the Service or its namespace`);
    }
  }
}

/**
 * The waypoint (Gateway name, in the Service's namespace) that serves traffic addressed to a Service: the Service's
 * own `istio.io/use-waypoint`, else its namespace's; the value `none` opts a Service out of its namespace's waypoint.
 */
export function serviceWaypoint(
  serviceLabels: Readonly<Record<string, string>>,
  namespaceLabels: Readonly<Record<string, string>>,
): string | undefined {
  const chosen = serviceLabels[USE_WAYPOINT_LABEL] ?? namespaceLabels[USE_WAYPOINT_LABEL];
  return chosen === undefined || chosen === 'none' || chosen === '' ? undefined : chosen;
}

/**
 * The pod istiod's Deployment would run, as istio/istio manifests/charts/istio-control/istio-discovery/files/waypoint.yaml
 * renders it: the Gateway's service account, the labels `sidecar.istio.io/inject: "false"`, `istio.io/dataplane-mode:
 * none` (out of ambient capture), `gateway.networking.k8s.io/gateway-name`/`-class-name`, `gateway.istio.io/managed`,
 * one `istio-proxy` container as UID/GID 1337, non-root, no privilege escalation, every capability dropped. The
 * container's `sleep` is the lab's sandbox; the proxy processes are the waypoint's (lab-waypoint.ts).
 */
export function waypointPodSpec(waypoint: WaypointView): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${waypoint.name}-lab`,
      namespace: waypoint.namespace,
      labels: {
        'sidecar.istio.io/inject': 'false',
        [AMBIENT_LABEL]: 'none',
        'service.istio.io/canonical-name': waypoint.name,
        'service.istio.io/canonical-revision': 'latest',
        [GATEWAY_NAME_LABEL]: waypoint.name,
        'gateway.networking.k8s.io/gateway-class-name': WAYPOINT_CLASS,
        'gateway.istio.io/managed': 'istio.io-mesh-controller',
      },
    },
    spec: {
      serviceAccountName: waypoint.name,
      containers: [
        {
          name: 'istio-proxy',
          image: 'lab/waypoint',
          command: ['sleep', 'infinity'],
          securityContext: {
            runAsUser: SCENE.proxyUid,
            runAsGroup: SCENE.proxyUid,
            runAsNonRoot: true,
            allowPrivilegeEscalation: false,
            capabilities: { drop: ['ALL'] },
          },
        },
      ],
    },
  };
}
