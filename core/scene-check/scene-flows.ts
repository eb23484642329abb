import type { V1Pod } from '@kubernetes/client-node';
import { baseEnv, serviceHost } from '../../attack-pods/catalogue/plans.ts';
import { pod } from '../../manifests/pod-builder.ts';
import { intruderPod, roguePod } from '../../manifests/scene/attacker-pods.ts';
import { SCENE } from '../../manifests/scene.ts';
import type { AttemptPlan } from '../domain/attack.ts';
import type { StackTraits } from '../domain/profile.ts';
import type { SceneAddresses } from '../domain/scene-addresses.ts';

/** Label on every self-test pod: which check it serves (the in-memory cluster scripts by it). */
export const SCENE_CHECK_LABEL = 'breachmatrix.dev/scene-check';

/** A check that sends traffic from a pod of its own. */
export interface SceneProbe {
  /** DNS-label-safe id, also the value of SCENE_CHECK_LABEL on its pod. */
  readonly id: string;
  /** `from → to:port/protocol`. */
  readonly name: string;
  readonly pod: (tail: string) => V1Pod;
  readonly plan: (pod: V1Pod, canary: string, addresses: SceneAddresses) => AttemptPlan;
}

/** A baseline flow and what the stack's policies make of it. */
export interface SceneFlow extends SceneProbe {
  readonly expect: 'allowed' | 'denied';
  /** Which part of the scene or policy set decides it. */
  readonly because: string;
}

function labelled(builder: ReturnType<typeof pod>, id: string): V1Pod {
  return builder.label(SCENE_CHECK_LABEL, id).build();
}

function podName(id: string, tail: string): string {
  return `bm-scene-${id}-${tail}`;
}

function apiHttpPlan(probePod: V1Pod, canary: string): AttemptPlan {
  const host = serviceHost('api');
  const port = SCENE.workloads.api.port;
  return {
    pod: probePod,
    script: 'http-probe.sh',
    env: { ...baseEnv(canary), TARGET_URL: `http://${host}:${port}/api/scene-self-test` },
    placement: 'exec',
    flow: { protocol: 'http', destinationName: host, destinationPort: port, canary },
  };
}

/** Does the stack apply a policy layer that denies the scene's forbidden flows (CNI default-deny or the mesh's rules)? */
export function stackDeniesForbiddenFlows(stack: StackTraits): boolean {
  return stack.enforcesNetworkPolicy || stack.meshPolicies;
}

/**
 * The scene's baseline reachability for this stack, from the layered policy set: `frontend → api:8080` is the
 * one flow every layer allows (frontend-egress/api-ingress NetworkPolicy, the api AuthorizationPolicy's
 * frontend principal on GET /api/*); `intruder → api:8080` and `rogue → db:5432` are denied by whichever layer
 * the stack has (CNI default-deny, sidecar RBAC/STRICT mTLS, ztunnel) and allowed where none is applied.
 */
export function sceneFlows(stack: StackTraits): readonly SceneFlow[] {
  const denying = stackDeniesForbiddenFlows(stack);
  const forbidden = denying ? ('denied' as const) : ('allowed' as const);
  const forbiddenBecause = denying
    ? [stack.enforcesNetworkPolicy ? 'CNI default-deny' : undefined, stack.meshPolicies ? `${stack.mesh} policies` : undefined].filter((part) => part !== undefined).join(' and ')
    : stack.policy === 'layered'
      ? `NetworkPolicy is applied but ${stack.cni} enforces none`
      : 'no policy layer is applied on this stack';
  const { api, db, frontend } = SCENE.workloads;
  return [
    {
      id: 'frontend-api',
      name: `frontend → api:${api.port}/http`,
      expect: 'allowed',
      because: 'the scene allows frontend → api on every stack',
      pod: (tail) => labelled(pod(podName('frontend-api', tail), SCENE.namespaces.app).serviceAccountName(frontend.serviceAccount).label(SCENE.appLabel, frontend.name), 'frontend-api'),
      plan: (probePod, canary) => apiHttpPlan(probePod, canary),
    },
    {
      id: 'intruder-api',
      name: `intruder → api:${api.port}/http`,
      expect: forbidden,
      because: forbiddenBecause,
      pod: (tail) => labelled(intruderPod({ name: podName('intruder-api', tail) }), 'intruder-api'),
      plan: (probePod, canary) => apiHttpPlan(probePod, canary),
    },
    {
      id: 'rogue-db',
      name: `rogue → db:${db.port}/tcp`,
      expect: forbidden,
      because: forbiddenBecause,
      pod: (tail) => labelled(roguePod({ name: podName('rogue-db', tail) }), 'rogue-db'),
      plan: (probePod, canary) => ({
        pod: probePod,
        script: 'tcp-probe.sh',
        env: { ...baseEnv(canary), TARGET_HOST: serviceHost('db'), TARGET_PORT: String(db.port) },
        placement: 'exec',
        flow: { protocol: 'tcp', destinationName: serviceHost('db'), destinationPort: db.port, canary },
      }),
    },
  ];
}

/** `<canary>.exfil.test` through the pod's own resolver: cluster DNS must forward the zone to the sink. */
/**
 * The hardened Cilium DNS rule (manifests/policies/cilium-policies.ts CLUSTER_DNS_RULE) refuses names outside the
 * cluster, the exfil zone included: there the zone's forwarding to the sink is proven before the policies.
 */
export function policiesRefuseForeignNames(stack: StackTraits): boolean {
  return stack.cni === 'cilium' && stack.enforcesNetworkPolicy && stack.strength === 'hardened';
}

export const DNS_PROBE: SceneProbe = {
  id: 'dns-exfil',
  name: `intruder → cluster DNS → sink (TXT <canary>.${SCENE.exfilZone})`,
  pod: (tail) => labelled(intruderPod({ name: podName('dns-exfil', tail) }), 'dns-exfil'),
  plan: (probePod, canary, addresses) => ({
    pod: probePod,
    script: 'dns-tunnel.sh',
    env: { ...baseEnv(canary), DNS_ZONE: addresses.sink.dnsZone },
    placement: 'exec',
    flow: { protocol: 'dns', destinationName: `${canary}.${addresses.sink.dnsZone}`, destinationPort: 53, canary },
  }),
};

/** GET on the link-local metadata address: the node's DNAT (kind) or the lab's route must reach the sink's emulation. */
export const METADATA_PROBE: SceneProbe = {
  id: 'metadata',
  name: `intruder → ${SCENE.metadata.ip}:${SCENE.metadata.port}/http (metadata emulation)`,
  pod: (tail) => labelled(intruderPod({ name: podName('metadata', tail) }), 'metadata'),
  plan: (probePod, canary, addresses) => ({
    pod: probePod,
    script: 'http-probe.sh',
    env: { ...baseEnv(canary), TARGET_URL: `http://${addresses.metadata.ip}:${addresses.metadata.port}/latest/meta-data/?c=${canary}` },
    placement: 'exec',
    flow: { protocol: 'http', destinationIp: addresses.metadata.ip, destinationPort: addresses.metadata.port, canary },
  }),
};
