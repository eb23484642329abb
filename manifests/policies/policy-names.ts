/**
 * Every policy the harness applies has a predictable name, so evidence (Envoy's `ns[N]-policy[P]-rule[R]`,
 * Calico chain names, Hubble policy names) can be read back to the rule that produced it.
 */
export const POLICY_NAMES = {
  // Kubernetes NetworkPolicy
  defaultDeny: 'bm-default-deny',
  allowDns: 'bm-allow-dns',
  allowIstiod: 'bm-allow-istiod',
  allowAmbientProbes: 'bm-allow-ambient-probes',
  frontendEgress: 'bm-frontend-egress',
  apiIngress: 'bm-api-ingress',
  apiEgress: 'bm-api-egress',
  dbIngress: 'bm-db-ingress',
  frontendEgressWaypoint: 'bm-frontend-egress-waypoint',
  apiIngressWaypoint: 'bm-api-ingress-waypoint',
  waypointIngress: 'bm-waypoint-ingress',
  waypointEgress: 'bm-waypoint-egress',
  // Cilium
  ciliumDnsVisibility: 'bm-cilium-dns-visibility',
  ciliumDenyInfra: 'bm-cilium-deny-infra',
  ciliumAmbientProbes: 'bm-cilium-ambient-probes',
  // Calico
  calicoLogDeny: 'bm-calico-log-deny',
  calicoHardenedDenyMetadata: 'bm-calico-hardened-deny-metadata',
  // Istio
  peerAuthentication: 'default',
  outboundRegistryOnly: 'default',
  apiAllow: 'bm-api-allow',
  apiAllowL4: 'bm-api-allow-l4',
  apiDenyAdmin: 'bm-api-deny-admin',
  apiDenyShortHost: 'bm-api-deny-short-host',
  dbAllow: 'bm-db-allow',
} as const;
