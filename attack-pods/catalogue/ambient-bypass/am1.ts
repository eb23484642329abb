import { defineAttack } from '../define-attack.ts';
import { allowed } from '../expectation-builders.ts';
import { apiPodHttpPlan, apiServiceHttpPlan } from '../plans.ts';
import { sameSource } from '../controls.ts';
import { REF } from '../references.ts';
import { frontendImpostor } from '../attackers.ts';
import { SCENE } from '../../../manifests/scene.ts';

const ID = 'AM1';
const TAG = `a Service-attached waypoint only sees traffic addressed to the Service — ${REF.ambientWaypoint.cite}; ${REF.ambientDataPlane.cite}`;

export const AM1 = defineAttack({
  id: ID,
  family: 'ambient-bypass',
  title: "Call the pod IP to skip the Service's waypoint",
  technique: "A pod with frontend's identity sends GET /admin to api's pod IP:8080; the DENY on /admin lives on the waypoint attached to the api Service.",
  preconditions: ["the attacker holds frontend's identity (allowed by api's L4 rule)", 'api uses a Service-attached waypoint'],
  references: [REF.ambientWaypoint, REF.ambientDataPlane],
  success: 'client-signal',
  source: TAG,
  notApplicable: (stack) => {
    if (stack.mesh !== 'istio-ambient') return 'waypoints exist only in ambient mode';
    if (!stack.meshPolicies) return 'no mesh policies: the scene deploys no waypoint';
    return undefined;
  },
  attempt: (context) => apiPodHttpPlan(frontendImpostor(context, ID, 'attempt').build(), context, SCENE.workloads.api.port, '/admin'),
  // Same source: the same identity through the Service (and so the waypoint) on an allowed path.
  control: (context) => sameSource(apiServiceHttpPlan(frontendImpostor(context, ID, 'control').build(), context, '/api/ping')),
  expect: (stack) =>
    allowed(TAG, 'documented', stack.enforcesNetworkPolicy ? 'the NetworkPolicy allows frontend → api over HBONE; ztunnel admits frontend' : "ztunnel admits frontend; Z only if api's L4 rule admitted just the waypoint"),
});
