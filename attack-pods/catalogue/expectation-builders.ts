import type { Certainty, Expectation } from '../../core/domain/attack.ts';
import type { BlockingLayer } from '../../core/domain/layer.ts';
import type { StackTraits } from '../../core/domain/profile.ts';
import type { ClientSignal } from '../../core/domain/signal.ts';
import { REF } from './references.ts';

/** Small constructors so every expectation carries a source and `blockedBy` exactly when blocked. */

function withNote(note: string | undefined): { note?: string } {
  return note === undefined ? {} : { note };
}

export function allowed(source: string, certainty: Certainty, note?: string): Expectation {
  return { outcome: 'allowed', certainty, source, ...withNote(note) };
}

export function blocked(
  layer: BlockingLayer,
  signal: ClientSignal | undefined,
  source: string,
  certainty: Certainty,
  note?: string,
): Expectation {
  return { outcome: 'blocked', blockedBy: layer, ...(signal === undefined ? {} : { signal }), certainty, source, ...withNote(note) };
}

export function notApplicableExpectation(reason: string, source: string): Expectation {
  return { outcome: 'not-applicable', certainty: 'documented', source, note: reason };
}

/** The stack applies the CNI's default-deny set (the scene's "cni" layer). */
export function cniEnforces(stack: StackTraits): boolean {
  return stack.enforcesNetworkPolicy;
}

/** Sidecar mode with STRICT mTLS, AuthorizationPolicy and REGISTRY_ONLY applied. */
export function sidecarEnforces(stack: StackTraits): boolean {
  return stack.mesh === 'istio-sidecar' && stack.meshPolicies;
}

/** Ambient with STRICT mTLS, ztunnel L4 rules and the waypoint's L7 rule applied. */
export function ambientEnforces(stack: StackTraits): boolean {
  return stack.mesh === 'istio-ambient' && stack.meshPolicies;
}

/** The CNI's drop for a pod whose egress (or the target's ingress) the default-deny set does not allow. */
export function cniDrop(tag: string, certainty: Certainty = 'documented', note?: string): Expectation {
  return blocked('cni', 'timeout', `${tag}; the scene's cni layer: default-deny, no egress to the world (${REF.networkPolicy.cite})`, certainty, note);
}

/** Lab stacks say so: the claim is then about the lab's model of the layer. */
export function labNote(stack: StackTraits, note?: string): string | undefined {
  if (!stack.isLab) return note;
  const lab = "lab: measures the lab's model of each layer (nftables NetworkPolicy, HAProxy sidecar, a per-pod ztunnel stand-in)";
  return note === undefined ? lab : `${note}; ${lab}`;
}

/** What the hardened set's ValidatingAdmissionPolicy refuses (manifests/policies/hardened-admission-policies.ts). */
export const HARDENED_REFUSALS = {
  proxyIdentity: 'runAsUser/runAsGroup 1337 outside the proxy\'s own containers',
  captureOptOut: 'the sidecar capture opt-outs (traffic.sidecar.istio.io/excludeOutbound*, sidecar.istio.io/inject: "false")',
  meshOptOut: 'the mesh opt-out label istio.io/dataplane-mode: none',
  workloadDeployer: "a workload's service account in a pod its deployer did not create (request.userInfo)",
} as const;
export type HardenedRefusal = keyof typeof HARDENED_REFUSALS;

/** `--policy-set hardened`: every layer the stack has gets its strongest documented controls. */
export function hardenedSet(stack: StackTraits): boolean {
  return stack.strength === 'hardened';
}

/** `--policy-set hardened`: the stack carries the hardened ValidatingAdmissionPolicy in its mesh namespaces. */
export function hardenedAdmission(stack: StackTraits): boolean {
  return stack.strength === 'hardened';
}

/** The hardened admission policy refuses the attempt's pod before any data plane sees it. */
export function hardenedAdmissionDeny(refusal: HardenedRefusal, tag: string, stack: StackTraits): Expectation {
  return blocked(
    'admission',
    'admission-denied',
    `${tag}; the hardened set's ValidatingAdmissionPolicy refuses ${HARDENED_REFUSALS[refusal]} in bm-app and bm-privileged — ${REF.validatingAdmissionPolicy.cite}`,
    'documented',
    labNote(stack, stack.isLab ? 'the lab evaluates the same policy objects with @bufbuild/cel' : undefined),
  );
}

/**
 * Header attacks whose outcome in ambient is the waypoint's header handling (Envoy's forward_client_cert_details,
 * internal-address rules): the lab waypoint enforces AuthorizationPolicy but does not model that handling, so on
 * lab:ambient these are not applicable (kind ambient profiles run them).
 */
export function needsWaypointHeaderModel(stack: StackTraits): string | undefined {
  return stack.isLab && stack.mesh === 'istio-ambient'
    ? "the lab waypoint enforces AuthorizationPolicy but does not model Envoy's header handling at the waypoint (x-forwarded-client-cert sanitising, internal-only x-envoy-* headers), where this attempt is decided in ambient"
    : undefined;
}
