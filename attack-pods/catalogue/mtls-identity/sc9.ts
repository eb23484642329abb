import { defineAttack } from '../define-attack.ts';
import { allowed, ambientEnforces, blocked, cniDrop, cniEnforces, labNote, sidecarEnforces } from '../expectation-builders.ts';
import { apiPodHttpPlan } from '../plans.ts';
import { apiPodControl } from '../controls.ts';
import { REF } from '../references.ts';
import { intruder } from '../attackers.ts';
import { SCENE } from '../../../manifests/scene.ts';

const ID = 'SC9';
const TAG = `calls to a pod IP skip service routing (sidecar: passthrough, plaintext; ambient: HBONE, the L4 rule still applies) — ${REF.istioTrafficRouting.cite}; ${REF.authorizationPolicy.cite}`;

export const SC9 = defineAttack({
  id: ID,
  family: 'mtls-identity',
  title: "Call a workload's pod IP instead of its Service",
  technique: "intruder (in the mesh, not an allowed principal) sends GET /api/ping to api's pod IP:8080, skipping Service routing.",
  preconditions: ["the attacker learned api's pod IP"],
  references: [REF.istioTrafficRouting, REF.authorizationPolicy, REF.networkPolicy],
  success: 'client-signal',
  source: TAG,
  attempt: (context) => apiPodHttpPlan(intruder(context, ID, 'attempt').build(), context, SCENE.workloads.api.port, '/api/ping'),
  control: (context) => apiPodControl(context, ID),
  expect: (stack) => {
    if (cniEnforces(stack)) return cniDrop(TAG, 'version-dependent', labNote(stack, 'intruder egress is default-deny; with a sidecar, REGISTRY_ONLY may answer first'));
    if (sidecarEnforces(stack)) return blocked('mesh-sidecar', undefined, TAG, 'version-dependent', labNote(stack, 'passthrough plaintext into STRICT (reset), blackhole (502) or 403 by principal'));
    if (ambientEnforces(stack)) return blocked('mesh-ztunnel', 'reset', `${TAG}; api's L4 rule admits only frontend and the waypoint`, 'documented', labNote(stack));
    return allowed(`${TAG}; nothing checks the caller on this stack`, 'documented', labNote(stack));
  },
});
