import { defineAttack } from '../define-attack.ts';
import { allowed, blocked, labNote, needsWaypointHeaderModel } from '../expectation-builders.ts';
import { apiForgedHeaderPlan } from '../plans.ts';
import { forgedHeaderControl } from '../controls.ts';
import { REF } from '../references.ts';
import { frontendImpostor } from '../attackers.ts';
import { principal } from '../../../manifests/mesh-identity.ts';
import { SCENE } from '../../../manifests/scene.ts';
import type { AttemptContext } from '../../../core/domain/attack.ts';

const ID = 'SC13';
const TAG = `a client's own x-forwarded-client-cert: Envoy removes it whenever its downstream connection is not mTLS and Istio's sidecars append the real peer's (APPEND_FORWARD) — ${REF.envoyConnManagerUtility.cite}; ${REF.istioProxyHeaders.cite}`;

/** The identity the forged XFCC claims: a service account no workload has, named after the attempt's canary. */
function forgedUri(context: AttemptContext): string {
  return `spiffe://${principal(SCENE.namespaces.app, `admin-${context.canary}`)}`;
}

/** Family: mtls-identity — the forgery claims another mTLS identity to an application that reads XFCC. */
export const SC13 = defineAttack({
  id: ID,
  family: 'mtls-identity',
  title: 'Forged x-forwarded-client-cert reaches the workload',
  technique: "A pod with frontend's identity calls api's Service (GET /api/ping, allowed) with its own X-Forwarded-Client-Cert naming another SPIFFE identity; the workload's echo shows which XFCC arrived.",
  preconditions: ["the attacker holds frontend's identity (a compromised frontend)", 'api would trust the XFCC header for the caller identity'],
  references: [REF.envoyConnManagerUtility, REF.istioProxyHeaders, REF.istioWaypointListener],
  success: 'client-signal',
  source: TAG,
  notApplicable: needsWaypointHeaderModel,
  attempt: (context) => {
    const uri = forgedUri(context);
    return apiForgedHeaderPlan(frontendImpostor(context, ID, 'attempt').build(), context, {
      headers: [`X-Forwarded-Client-Cert: By=spiffe://${principal(SCENE.namespaces.app, SCENE.workloads.api.serviceAccount)};URI=${uri}`],
      watch: 'x-forwarded-client-cert',
      value: uri,
    });
  },
  control: (context) => forgedHeaderControl(context, ID),
  expect: (stack) => {
    if (stack.mesh === 'istio-sidecar') {
      return blocked('mesh-sidecar', 'header-stripped', `${TAG}: frontend's sidecar drops it (plaintext from the app), api's writes URI=frontend`, stack.isLab ? 'inferred' : 'documented', labNote(stack, "the lab's outbound hop is L4, so api's sidecar drops the client's XFCC before writing the peer's"));
    }
    if (stack.mesh === 'istio-ambient') {
      return blocked('mesh-waypoint', 'header-stripped', `${TAG}; ${REF.istioWaypointListener.cite}: the waypoint's HTTP chain keeps Envoy's default SANITIZE unless the waypoint is annotated`, 'inferred');
    }
    return allowed(`${TAG}; no proxy on this stack: the header reaches api as sent`, 'documented', labNote(stack));
  },
});
