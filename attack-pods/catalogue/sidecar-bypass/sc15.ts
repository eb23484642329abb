import { defineAttack } from '../define-attack.ts';
import { allowed, blocked, labNote, needsWaypointHeaderModel } from '../expectation-builders.ts';
import { apiForgedHeaderPlan } from '../plans.ts';
import { forgedHeaderControl } from '../controls.ts';
import { REF } from '../references.ts';
import { frontendImpostor } from '../attackers.ts';

const ID = 'SC15';
/** A private address as the single XFF hop: what made Envoy before 1.33 treat the request as internal. */
const INTERNAL_LOOKING_SOURCE = '10.0.0.1';
const TAG = `x-envoy-* control headers are honoured and forwarded only on requests Envoy deems internal; before Envoy 1.33 any RFC1918 address counted (CVE-2024-45806), so a pod adding a single private X-Forwarded-For hop passed them; since then no address is internal unless internal_address_config says so, and Istio sets none on sidecars or waypoints — ${REF.cve202445806.cite}; ${REF.istio53402.cite}; ${REF.istioListenerBuilder.cite}; ${REF.envoyConnManagerUtility.cite}`;

/** Family: sidecar-bypass — the technique makes the proxy treat the attacker as part of its own trusted mesh plumbing. */
export const SC15 = defineAttack({
  id: ID,
  family: 'sidecar-bypass',
  title: 'x-envoy-* headers from a pod, behind a private X-Forwarded-For',
  technique: `A pod with frontend's identity calls api's Service (GET /api/ping, allowed) with X-Forwarded-For: ${INTERNAL_LOOKING_SOURCE} and X-Envoy-Ip-Tags carrying the canary; the workload's echo shows whether the internal-only header survived.`,
  preconditions: ["the attacker holds frontend's identity (a compromised frontend)"],
  references: [REF.cve202445806, REF.istio53402, REF.istioListenerBuilder, REF.envoyConnManagerUtility, REF.istioWaypointListener],
  success: 'client-signal',
  source: TAG,
  notApplicable: needsWaypointHeaderModel,
  attempt: (context) =>
    apiForgedHeaderPlan(frontendImpostor(context, ID, 'attempt').build(), context, {
      headers: [`X-Forwarded-For: ${INTERNAL_LOOKING_SOURCE}`, `X-Envoy-Ip-Tags: ${context.canary}`],
      watch: 'x-envoy-ip-tags',
      value: context.canary,
    }),
  control: (context) => forgedHeaderControl(context, ID),
  expect: (stack) => {
    if (stack.mesh === 'istio-sidecar') {
      return blocked('mesh-sidecar', 'header-stripped', `${TAG}: the request is external at both sidecars, cleanInternalHeaders removes x-envoy-ip-tags`, stack.isLab ? 'inferred' : 'documented', labNote(stack, "the lab sidecar removes Envoy's internal-only headers from every request"));
    }
    if (stack.mesh === 'istio-ambient') return blocked('mesh-waypoint', 'header-stripped', `${TAG}; ${REF.istioWaypointListener.cite}: the waypoint's HTTP chain deems it external too`, 'inferred');
    return allowed(`${TAG}; no proxy on this stack: the header reaches api as sent`, 'documented', labNote(stack));
  },
});
