import type { KubeObject } from '../../../core/domain/cluster.ts';
import { SCENE } from '../../../manifests/scene.ts';
import { applicablePolicies, compilePolicy, type Term } from '../sidecar/authorization-policy.ts';
import { spiffeIdOf } from '../sidecar/lab-ca.ts';
import { effectivePeerAuthentication } from '../sidecar/peer-authentication.ts';

/** A pod the lab knows, for the `src.*` / `dst.*` fields of ztunnel's access lines. */
export interface KnownWorkload {
  readonly ip: string;
  readonly namespace: string;
  readonly name: string;
  readonly serviceAccount: string;
  /** `<svc>.<ns>.svc.cluster.local` of the first Service selecting the pod, if any. */
  readonly service?: string;
  /** Captured by ambient (namespace label, not opted out): reachable over HBONE. */
  readonly ambient: boolean;
}

export interface AmbientPodIdentity {
  readonly ip: string;
  readonly namespace: string;
  readonly name: string;
  readonly serviceAccount: string;
  readonly labels: Readonly<Record<string, string>>;
}

export interface ZtunnelPolicy {
  /** `ns/name`, as ztunnel names a policy in `explicitly denied by:`. */
  readonly name: string;
  readonly action: 'ALLOW' | 'DENY';
  readonly rules: readonly { readonly terms: readonly Term[] }[];
}

/** The file lab_ztunnel.py reads (and re-reads when it changes). */
export interface ZtunnelConfig {
  readonly pod: { readonly ip: string; readonly namespace: string; readonly workload: string; readonly identity: string };
  readonly certPath: string;
  readonly keyPath: string;
  readonly caPath: string;
  readonly ports: { readonly outbound: number; readonly inboundPlaintext: number; readonly inboundHbone: number };
  readonly hbonePort: number;
  readonly skipMark: number;
  /** Destinations reached over HBONE, by pod IP. */
  readonly meshPeers: Readonly<Record<string, { readonly identity: string }>>;
  readonly workloads: Readonly<Record<string, { readonly workload: string; readonly namespace: string; readonly service?: string }>>;
  /** Service VIPs (service-vips.ts), by VIP: routed through their waypoint when they have one. */
  readonly services: Readonly<Record<string, ZtunnelService>>;
  readonly inbound: {
    readonly defaultMode: string;
    readonly portModes: Readonly<Record<string, string>>;
    readonly policies: readonly ZtunnelPolicy[];
  };
}

/**
 * What ztunnel knows of a Service VIP: with a waypoint, traffic addressed to it goes there over HBONE (CONNECT
 * <vip>:<port>); without one, one endpoint is picked as for a pod IP.
 */
export interface ZtunnelService {
  readonly name: string;
  readonly waypoint?: { readonly ip: string; readonly identity: string; readonly workload: string; readonly namespace: string };
  readonly endpoints: readonly string[];
  readonly targetPorts: Readonly<Record<string, number>>;
}

/** An AuthorizationPolicy bound with `targetRefs` belongs to a waypoint, never to ztunnel. */
export function isWaypointBound(object: KubeObject): boolean {
  if (object.kind !== 'AuthorizationPolicy') return false;
  const spec = object['spec'];
  if (typeof spec !== 'object' || spec === null) return false;
  return ('targetRefs' in spec && spec.targetRefs !== undefined) || ('targetRef' in spec && spec.targetRef !== undefined);
}

/** Target kinds the lab waypoint does not serve: a GatewayClass (every waypoint of a class) and a ServiceEntry. */
const UNMODELLED_TARGET_KINDS = ['GatewayClass', 'ServiceEntry'];

/** A waypoint-bound policy the lab cannot place (listed by `notModelled()`, enforced nowhere). */
export function targetsUnmodelledKind(object: KubeObject): boolean {
  if (!isWaypointBound(object)) return false;
  const spec = object['spec'] as { targetRefs?: unknown; targetRef?: unknown };
  const targets = [...(Array.isArray(spec.targetRefs) ? spec.targetRefs : []), ...(spec.targetRef === undefined ? [] : [spec.targetRef])];
  return targets.some((target) => typeof target === 'object' && target !== null && UNMODELLED_TARGET_KINDS.includes(String((target as { kind?: unknown }).kind)));
}

/**
 * What ztunnel enforces for one pod: selector-bound (and namespace/root-wide) AuthorizationPolicies compiled
 * for L4 — an ALLOW operation with HTTP fields never matches, a DENY one matches on its L4 part, as ztunnel
 * treats L7 attributes it cannot see — and PeerAuthentication (STRICT refuses plaintext).
 */
export function buildZtunnelConfig(
  pod: AmbientPodIdentity,
  objects: readonly KubeObject[],
  workloads: readonly KnownWorkload[],
  files: { readonly certPath: string; readonly keyPath: string; readonly caPath: string },
  services: Readonly<Record<string, ZtunnelService>> = {},
): ZtunnelConfig {
  const ztunnelObjects = objects.filter((object) => !isWaypointBound(object));
  const workload = { namespace: pod.namespace, labels: pod.labels };
  const policies = applicablePolicies(ztunnelObjects, workload).map((policy): ZtunnelPolicy => {
    const compiled = compilePolicy(policy, 'tcp');
    return { name: `${policy.namespace}/${policy.name}`, action: compiled.action, rules: compiled.rules.map((rule) => ({ terms: rule.terms })) };
  });
  const peerAuthentication = effectivePeerAuthentication(ztunnelObjects, workload);
  return {
    pod: { ip: pod.ip, namespace: pod.namespace, workload: pod.name, identity: spiffeIdOf(pod.namespace, pod.serviceAccount) },
    ...files,
    ports: { outbound: SCENE.envoy.outbound, inboundPlaintext: SCENE.envoy.inbound, inboundHbone: SCENE.hbonePort },
    hbonePort: SCENE.hbonePort,
    skipMark: 0x3,
    meshPeers: Object.fromEntries(
      workloads.filter((w) => w.ambient).map((w) => [w.ip, { identity: spiffeIdOf(w.namespace, w.serviceAccount) }]),
    ),
    workloads: Object.fromEntries(
      workloads.map((w) => [w.ip, { workload: w.name, namespace: w.namespace, ...(w.service === undefined ? {} : { service: w.service }) }]),
    ),
    services,
    inbound: {
      defaultMode: peerAuthentication.defaultMode,
      portModes: Object.fromEntries([...peerAuthentication.ports].map(([port, mode]) => [String(port), mode])),
      policies,
    },
  };
}
