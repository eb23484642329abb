import { defineAttack } from '../define-attack.ts';
import { allowed, cniDrop, cniEnforces, labNote } from '../expectation-builders.ts';
import { apiServiceHttpPlan, plan, serviceHost } from '../plans.ts';
import { sameSource } from '../controls.ts';
import { REF } from '../references.ts';
import { frontendImpostor } from '../attackers.ts';
import { SCENE } from '../../../manifests/scene.ts';

const ID = 'AM7';
const TAG = `in ambient a Service with a waypoint is reached as frontend → waypoint:15008 → api:15008, all HBONE: NetworkPolicy sees neither the Service port nor frontend at api, so its port rule cannot hold and only an AuthorizationPolicy port rule can — ${REF.istio56659.cite}; ${REF.ambientNetworkPolicy.cite}; ${REF.ambientWaypoint.cite}`;
const METRICS_URL = `http://${serviceHost('api')}:${SCENE.workloads.api.metricsPort}/api/ping`;

/** Family: ambient-bypass — the 15008 hole of AM6, through the waypoint instead of the pod IP. */
export const AM7 = defineAttack({
  id: ID,
  family: 'ambient-bypass',
  title: "NetworkPolicy allows :8080 only; call api's Service on :9090 through its waypoint",
  technique: `A pod with frontend's identity (allowed to api:8080 only by NetworkPolicy) sends GET /api/ping to api's Service on its second port ${SCENE.workloads.api.metricsPort}; in ambient the waypoint carries it, so the CNI sees HBONE on 15008 at both hops.`,
  preconditions: ["the attacker holds frontend's identity", "api's L7 rule (GET /api/* for frontend) lists no ports", `api's Service exposes ${SCENE.workloads.api.metricsPort}`],
  references: [REF.istio56659, REF.ambientNetworkPolicy, REF.ambientWaypoint, REF.networkPolicy, REF.authorizationPolicy],
  success: 'client-signal',
  source: TAG,
  attempt: (context) =>
    plan({
      pod: frontendImpostor(context, ID, 'attempt').build(),
      script: 'http-probe.sh',
      canary: context.canary,
      env: { TARGET_URL: METRICS_URL },
      flow: { protocol: 'http', destinationName: serviceHost('api'), destinationPort: SCENE.workloads.api.metricsPort },
    }),
  // Same source: the same client to the port the NetworkPolicy allows, same path.
  control: (context) => sameSource(apiServiceHttpPlan(frontendImpostor(context, ID, 'control').build(), context, '/api/ping')),
  expect: (stack) => {
    if (stack.mesh === 'istio-ambient') return allowed(`${TAG}; the waypoint's ALLOW (GET /api/*, no ports) admits frontend on 9090 too`, 'inferred');
    if (cniEnforces(stack)) return cniDrop(`${TAG}; without ambient the CNI sees frontend → api:9090`, 'documented', labNote(stack));
    if (stack.mesh === 'istio-sidecar') {
      return allowed(`${TAG}; no NetworkPolicy here, and the sidecar's ALLOW (GET /api/* for frontend, no ports) — ${REF.authorizationPolicy.cite} — admits 9090`, 'documented', labNote(stack));
    }
    return allowed(`${TAG}; no policy`, 'documented', labNote(stack));
  },
});
