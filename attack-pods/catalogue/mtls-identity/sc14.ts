import { defineAttack } from '../define-attack.ts';
import { allowed, labNote } from '../expectation-builders.ts';
import { apiForgedHeaderPlan } from '../plans.ts';
import { forgedHeaderControl } from '../controls.ts';
import { REF } from '../references.ts';
import { frontendImpostor } from '../attackers.ts';

const ID = 'SC14';
/** A documentation address (TEST-NET-3, RFC 5737): no pod has it, so an application trusting it is fooled. */
export const SC14_FORGED_SOURCE = '203.0.113.77';
const TAG = `sidecars and waypoints run with use_remote_address false, so Envoy neither replaces nor appends to x-forwarded-for: the client's value reaches the workload; only gateways are configured to trust or discard hops (numTrustedProxies) — ${REF.istioListenerBuilder.cite}; ${REF.envoyConnManagerUtility.cite}; ${REF.istioIngressXff.cite}`;

/** Family: mtls-identity — the forgery claims another source to an application that reads XFF instead of the peer identity. */
export const SC14 = defineAttack({
  id: ID,
  family: 'mtls-identity',
  title: 'Forged x-forwarded-for reaches the workload as the client address',
  technique: `A pod with frontend's identity calls api's Service (GET /api/ping, allowed) with X-Forwarded-For: ${SC14_FORGED_SOURCE}; the workload's echo shows whether that address arrived as the first hop.`,
  preconditions: ["the attacker holds frontend's identity (a compromised frontend)", 'api would trust X-Forwarded-For for the client address'],
  references: [REF.istioListenerBuilder, REF.envoyConnManagerUtility, REF.istioIngressXff, REF.istioWaypointListener],
  success: 'client-signal',
  source: TAG,
  attempt: (context) =>
    apiForgedHeaderPlan(frontendImpostor(context, ID, 'attempt').build(), context, {
      headers: [`X-Forwarded-For: ${SC14_FORGED_SOURCE}`],
      watch: 'x-forwarded-for',
      value: SC14_FORGED_SOURCE,
    }),
  control: (context) => forgedHeaderControl(context, ID),
  expect: (stack) => {
    if (stack.mesh === 'istio-sidecar') return allowed(`${TAG}: both sidecars pass it through`, 'documented', labNote(stack, 'the lab sidecar adds no forwardfor, as Envoy with use_remote_address false'));
    if (stack.mesh === 'istio-ambient') return allowed(`${TAG}; ${REF.istioWaypointListener.cite}: the waypoint's HTTP chain sets use_remote_address false too`, 'inferred');
    return allowed(`${TAG}; no proxy on this stack: the header reaches api as sent`, 'documented', labNote(stack));
  },
});
