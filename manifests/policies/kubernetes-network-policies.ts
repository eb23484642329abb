import type { KubeObject } from '../../core/domain/cluster.ts';
import type { StackTraits } from '../../core/domain/profile.ts';
import { ISTIOD, KUBE_DNS, WAYPOINT } from '../mesh-identity.ts';
import { SCENE } from '../scene.ts';
import { app, cidr, networkPolicy, podsIn, samePods, tcp, udp } from './network-policy-builder.ts';
import { POLICY_NAMES } from './policy-names.ts';

const { namespaces, workloads } = SCENE;

/** Namespaces that are mesh members when the stack has a mesh (bm-privileged mirrors bm-app). */
export function meshNamespaces(stack: StackTraits): readonly string[] {
  return stack.mesh === 'none' ? [] : [namespaces.app, namespaces.privileged];
}

/** Default-deny applies to every scene namespace: bm-app, bm-rogue and bm-privileged. */
export const DEFAULT_DENY_NAMESPACES: readonly string[] = [namespaces.app, namespaces.rogue, namespaces.privileged];

/**
 * The CNI layer as Kubernetes NetworkPolicy (read by kindnet, Calico, Cilium and the lab): default-deny both
 * ways in every scene namespace, DNS to kube-dns only, `frontend → api:8080` and `api → db:5432`, nothing to the
 * world. Mesh additions:
 * - sidecar: every proxy needs istiod's XDS/CA port, which NetworkPolicy cannot tell apart from the app's traffic;
 * - ambient: in-pod ztunnel carries allowed flows as HBONE to TCP 15008 (also to and from the waypoint), and
 *   kubelet probes arrive SNATed from 169.254.7.127 (istio.io, "Ambient and Kubernetes NetworkPolicy"). The
 *   waypoint is an ordinary pod of bm-app, so it needs its own rules and istiod; app pods do not talk to istiod.
 */
export function buildKubernetesNetworkPolicies(stack: StackTraits): KubeObject[] {
  const ambient = stack.mesh === 'istio-ambient';
  const hbone = ambient ? [tcp(SCENE.hbonePort)] : [];
  const objects: KubeObject[] = [];

  for (const namespace of DEFAULT_DENY_NAMESPACES) {
    objects.push(networkPolicy(POLICY_NAMES.defaultDeny, namespace).denyAll().build());
    objects.push(
      networkPolicy(POLICY_NAMES.allowDns, namespace)
        .allowEgress([podsIn(KUBE_DNS.namespace, { matchLabels: { [KUBE_DNS.podLabel.key]: KUBE_DNS.podLabel.value } })], [udp(KUBE_DNS.port), tcp(KUBE_DNS.port)])
        .build(),
    );
  }

  const istiod = podsIn(ISTIOD.namespace, { matchLabels: { [ISTIOD.podLabel.key]: ISTIOD.podLabel.value } });
  for (const namespace of meshNamespaces(stack)) {
    if (stack.mesh === 'istio-sidecar') {
      objects.push(networkPolicy(POLICY_NAMES.allowIstiod, namespace).allowEgress([istiod], [tcp(ISTIOD.xdsPort)]).build());
    }
    if (ambient) {
      objects.push(networkPolicy(POLICY_NAMES.allowAmbientProbes, namespace).allowIngress([cidr(SCENE.ambientProbeSource)]).build());
    }
  }

  const { frontend, api, db } = workloads;
  const appNs = namespaces.app;
  const waypoint = { matchLabels: { [WAYPOINT.podLabel.key]: WAYPOINT.podLabel.value } };
  objects.push(
    networkPolicy(POLICY_NAMES.frontendEgress, appNs)
      .selecting(app(frontend.name))
      .allowEgress([samePods(app(api.name))], [tcp(api.port), ...hbone])
      .build(),
    networkPolicy(POLICY_NAMES.apiIngress, appNs)
      .selecting(app(api.name))
      .allowIngress([samePods(app(frontend.name))], [tcp(api.port), ...hbone])
      .build(),
    networkPolicy(POLICY_NAMES.apiEgress, appNs).selecting(app(api.name)).allowEgress([samePods(app(db.name))], [tcp(db.port), ...hbone]).build(),
    networkPolicy(POLICY_NAMES.dbIngress, appNs).selecting(app(db.name)).allowIngress([samePods(app(api.name))], [tcp(db.port), ...hbone]).build(),
  );
  if (ambient) {
    // frontend → waypoint:15008 → api:15008, all HBONE.
    objects.push(
      networkPolicy(POLICY_NAMES.waypointIngress, appNs).selecting(waypoint).allowIngress([samePods(app(frontend.name))], hbone).build(),
      networkPolicy(POLICY_NAMES.waypointEgress, appNs)
        .selecting(waypoint)
        .allowEgress([samePods(app(api.name))], hbone)
        .allowEgress([istiod], [tcp(ISTIOD.xdsPort)])
        .build(),
    );
    // Separate policies, so a drop names the waypoint hop rather than the direct one.
    objects.push(
      networkPolicy(POLICY_NAMES.frontendEgressWaypoint, appNs).selecting(app(frontend.name)).allowEgress([samePods(waypoint)], hbone).build(),
      networkPolicy(POLICY_NAMES.apiIngressWaypoint, appNs).selecting(app(api.name)).allowIngress([samePods(waypoint)], hbone).build(),
    );
  }
  return objects;
}
