import type { KubeObject } from '../../core/domain/cluster.ts';
import type { StackTraits } from '../../core/domain/profile.ts';
import { asKubeObject, managedLabels } from '../kube-object.ts';
import { ISTIOD, WAYPOINT, principal } from '../mesh-identity.ts';
import { SCENE } from '../scene.ts';
import type { AuthorizationPolicy, AuthorizationRule, IstioSidecar, PeerAuthentication, WaypointGateway, WorkloadSelector } from './istio-types.ts';
import { meshNamespaces } from './kubernetes-network-policies.ts';
import { POLICY_NAMES } from './policy-names.ts';

const { namespaces, workloads } = SCENE;

export const FRONTEND_PRINCIPAL = principal(namespaces.app, workloads.frontend.serviceAccount);
export const API_PRINCIPAL = principal(namespaces.app, workloads.api.serviceAccount);
export const WAYPOINT_PRINCIPAL = principal(WAYPOINT.namespace, WAYPOINT.serviceAccount);

/** The L7 rule of the scene: only `GET /api/*`. */
export const API_PATHS = ['/api/*'] as const;
/** SC10 throws path tricks (`//admin`, `/%2Fadmin`, `/ADMIN`) at this explicit DENY. */
export const ADMIN_PATHS = ['/admin', '/admin/*'] as const;
/**
 * A host-based DENY, the example of ISTIO-SECURITY-2021-008 (a rule refusing `httpbin.foo`, bypassed with `Httpbin.Foo`):
 * api refuses requests that name it by its `<service>.<namespace>` short form, with or without a port. SC12 sends
 * the same name in upper case; the canonical FQDN every other call uses is untouched.
 */
export const SHORT_API_HOSTS = [`${workloads.api.name}.${namespaces.app}`, `${workloads.api.name}.${namespaces.app}:*`] as const;

function meta(name: string, namespace: string): AuthorizationPolicy['metadata'] {
  return { name, namespace, labels: managedLabels() };
}

function selectApp(name: string): WorkloadSelector {
  return { matchLabels: { [SCENE.appLabel]: name } };
}

/** Where a policy is bound: a workload selector (sidecar, or ztunnel in ambient) or the waypoint serving a Service. */
type Binding = { readonly selector: WorkloadSelector } | { readonly targetRefs: AuthorizationPolicy['spec']['targetRefs'] };

function authorizationPolicy(name: string, binding: Binding, action: 'ALLOW' | 'DENY', rules: readonly AuthorizationRule[]): AuthorizationPolicy {
  return { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: meta(name, namespaces.app), spec: { ...binding, action, rules } };
}

const apiL7Allow: AuthorizationRule = {
  from: [{ source: { principals: [FRONTEND_PRINCIPAL] } }],
  to: [{ operation: { methods: ['GET'], paths: [...API_PATHS] } }],
};
const adminDeny: AuthorizationRule = { to: [{ operation: { paths: [...ADMIN_PATHS] } }] };
const shortHostDeny: AuthorizationRule = { to: [{ operation: { hosts: [...SHORT_API_HOSTS] } }] };
const dbAllow: AuthorizationRule = {
  from: [{ source: { principals: [API_PRINCIPAL] } }],
  to: [{ operation: { ports: [String(workloads.db.port)] } }],
};

/** Mesh-wide STRICT mTLS: a PeerAuthentication named `default` in the root namespace. */
export function strictMtls(): PeerAuthentication {
  return {
    apiVersion: 'security.istio.io/v1',
    kind: 'PeerAuthentication',
    metadata: { name: POLICY_NAMES.peerAuthentication, namespace: ISTIOD.namespace, labels: managedLabels() },
    spec: { mtls: { mode: 'STRICT' } },
  };
}

/**
 * The hardened set narrows what each proxy knows to the scene's app namespace and istio-system (Sidecar
 * `egress.hosts`, https://istio.io/latest/docs/reference/config/networking/sidecar/): under REGISTRY_ONLY a Service
 * of any other namespace becomes unknown, hence blackholed. The scene has Services in bm-app only, so no attack's
 * verdict moves; it bounds what a future Service elsewhere would expose. Kind only: the lab's sidecar model refuses
 * Sidecar egress listeners (clusters/lab/sidecar/istio-objects.ts).
 *
 * Not rendered, and why: an egress gateway as the only way out
 * (https://istio.io/latest/docs/tasks/traffic-management/egress/egress-gateway/) funnels the external hosts a
 * ServiceEntry admits; the scene admits none, so under REGISTRY_ONLY there is no way out to funnel, and the gateway
 * would add a Helm release and a NetworkPolicy exception with nothing to carry.
 */
export const SIDECAR_EGRESS_HOSTS = [`${namespaces.app}/*`, `${ISTIOD.namespace}/*`] as const;

function narrowsEgressHosts(stack: StackTraits): boolean {
  return stack.strength === 'hardened' && !stack.isLab;
}

/**
 * Sidecar mode: every rule is enforced by the destination's Envoy, L4 and L7 alike. REGISTRY_ONLY is set per
 * mesh namespace with a namespace-wide `Sidecar` resource (no workloadSelector), which overrides the mesh
 * default for those proxies without touching istiod's meshConfig.
 */
function sidecarPolicies(stack: StackTraits): KubeObject[] {
  const egress = narrowsEgressHosts(stack) ? { egress: [{ hosts: [...SIDECAR_EGRESS_HOSTS] }] } : {};
  const registryOnly = meshNamespaces(stack).map(
    (namespace): IstioSidecar => ({
      apiVersion: 'networking.istio.io/v1',
      kind: 'Sidecar',
      metadata: { name: POLICY_NAMES.outboundRegistryOnly, namespace, labels: managedLabels() },
      spec: { outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' }, ...egress },
    }),
  );
  return [
    ...registryOnly.map(asKubeObject),
    authorizationPolicy(POLICY_NAMES.apiAllow, { selector: selectApp(workloads.api.name) }, 'ALLOW', [apiL7Allow]),
    authorizationPolicy(POLICY_NAMES.apiDenyAdmin, { selector: selectApp(workloads.api.name) }, 'DENY', [adminDeny]),
    authorizationPolicy(POLICY_NAMES.apiDenyShortHost, { selector: selectApp(workloads.api.name) }, 'DENY', [shortHostDeny]),
    authorizationPolicy(POLICY_NAMES.dbAllow, { selector: selectApp(workloads.db.name) }, 'ALLOW', [dbAllow]),
  ].map(asKubeObject);
}

/** The ambient waypoint for `api` (Gateway API, class istio-waypoint, HBONE listener on 15008). */
export function waypointGateway(): WaypointGateway {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: WAYPOINT.name, namespace: WAYPOINT.namespace, labels: managedLabels({ 'istio.io/waypoint-for': 'service' }) },
    spec: { gatewayClassName: WAYPOINT.className, listeners: [{ name: 'mesh', port: SCENE.hbonePort, protocol: 'HBONE' }] },
  };
}

/**
 * Ambient mode: ztunnel enforces only L4, so rules with HTTP fields are bound to the waypoint (`targetRefs` to the
 * api Service, which carries `istio.io/use-waypoint`) and the `selector`-bound rules have principals and ports
 * only. api's ztunnel rule admits frontend and the waypoint (traffic via the Service arrives with the waypoint's
 * identity); it lists no ports, so AM6 (a non-allowed port over HBONE) is measured, not masked. There is no
 * REGISTRY_ONLY here: ztunnel ignores outboundTrafficPolicy and `Sidecar` resources; egress control in ambient needs
 * an egress waypoint, which the scene does not model (EG1 expects A on ambient).
 */
function ambientPolicies(): KubeObject[] {
  const apiService = [{ group: '', kind: 'Service' as const, name: workloads.api.name }];
  return [
    asKubeObject(waypointGateway()),
    authorizationPolicy(POLICY_NAMES.apiAllowL4, { selector: selectApp(workloads.api.name) }, 'ALLOW', [
      { from: [{ source: { principals: [FRONTEND_PRINCIPAL, WAYPOINT_PRINCIPAL] } }] },
    ]),
    authorizationPolicy(POLICY_NAMES.apiAllow, { targetRefs: apiService }, 'ALLOW', [apiL7Allow]),
    authorizationPolicy(POLICY_NAMES.apiDenyAdmin, { targetRefs: apiService }, 'DENY', [adminDeny]),
    authorizationPolicy(POLICY_NAMES.apiDenyShortHost, { targetRefs: apiService }, 'DENY', [shortHostDeny]),
    authorizationPolicy(POLICY_NAMES.dbAllow, { selector: selectApp(workloads.db.name) }, 'ALLOW', [dbAllow]),
  ].map(asKubeObject);
}

/** The mesh layer of the policy set; empty without a mesh. */
export function buildIstioPolicies(stack: StackTraits): KubeObject[] {
  switch (stack.mesh) {
    case 'none':
      return [];
    case 'istio-sidecar':
      return [asKubeObject(strictMtls()), ...sidecarPolicies(stack)];
    case 'istio-ambient':
      return [asKubeObject(strictMtls()), ...ambientPolicies()];
  }
}
