import { defineAttack } from '../define-attack.ts';
import { allowed, cniDrop, cniEnforces, labNote } from '../expectation-builders.ts';
import { apiPodHttpPlan, apiServiceHttpPlan } from '../plans.ts';
import { sameSource } from '../controls.ts';
import { REF } from '../references.ts';
import { frontendImpostor } from '../attackers.ts';
import { SCENE } from '../../../manifests/scene.ts';

const ID = 'AM6';
const TAG = `in ambient the CNI sees only HBONE on 15008, not the application port — ${REF.istio56659.cite}; ${REF.ambientNetworkPolicy.cite}`;

export const AM6 = defineAttack({
  id: ID,
  family: 'ambient-bypass',
  title: 'NetworkPolicy allows :8080 only; call :9090 over HBONE',
  technique: "A pod with frontend's identity (allowed to api:8080 by NetworkPolicy) sends GET /metrics to api's pod IP on 9090; in ambient the CNI sees HBONE on 15008, not 9090.",
  preconditions: ["the attacker holds frontend's identity", "api's L4 AuthorizationPolicy lists no ports"],
  references: [REF.istio56659, REF.ambientNetworkPolicy, REF.networkPolicy],
  success: 'client-signal',
  source: TAG,
  notApplicable: (stack) => (stack.mesh === 'istio-sidecar' ? 'the sidecar keeps the real destination port on the wire; the port-hiding is ambient-only' : undefined),
  attempt: (context) => apiPodHttpPlan(frontendImpostor(context, ID, 'attempt').build(), context, SCENE.workloads.api.metricsPort, '/metrics'),
  // Same source: the same client on the port the NetworkPolicy allows.
  control: (context) => sameSource(apiServiceHttpPlan(frontendImpostor(context, ID, 'control').build(), context, '/api/ping')),
  expect: (stack) => {
    if (stack.mesh === 'istio-ambient') return allowed(TAG, 'inferred', labNote(stack, "the CNI only sees 15008; api's L4 rule admits frontend on any port"));
    if (cniEnforces(stack)) return cniDrop(`${TAG}; without a mesh the CNI sees 9090`, 'documented', labNote(stack));
    return allowed(`${TAG}; no policy`, 'documented', labNote(stack));
  },
});
