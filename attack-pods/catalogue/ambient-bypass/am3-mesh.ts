import { defineAttack } from '../define-attack.ts';
import { allowed, ambientEnforces, blocked, cniDrop, cniEnforces, labNote, hardenedAdmission, hardenedAdmissionDeny } from '../expectation-builders.ts';
import { apiServiceHttpPlan } from '../plans.ts';
import { apiServiceControl } from '../controls.ts';
import { REF } from '../references.ts';
import { intruder } from '../attackers.ts';
import { DATAPLANE_MODE_NONE } from './am3.ts';

const ID = 'AM3-mesh';
const TAG = `an opted-out pod (istio.io/dataplane-mode: none) sends plaintext, which STRICT refuses — ${REF.ambientAddWorkloads.cite}; ${REF.peerAuthentication.cite}`;

/** AM3 has two outcomes (egress to the world, calls into the mesh); this is the in-mesh one (the opted-out pod is plaintext). */
export const AM3_MESH = defineAttack({
  id: ID,
  family: 'ambient-bypass',
  title: 'Opted-out pod (dataplane-mode=none) calls into the STRICT mesh',
  technique: 'intruder labelled `istio.io/dataplane-mode: none` sends plaintext GET /api/ping to api:8080; ztunnel at api must refuse plaintext.',
  preconditions: ['whoever creates the pod may set its labels'],
  references: [REF.ambientAddWorkloads, REF.peerAuthentication, REF.networkPolicy],
  success: 'client-signal',
  source: TAG,
  notApplicable: (stack) => (stack.mesh === 'istio-ambient' ? undefined : 'the opt-out label exists only in ambient mode'),
  attempt: (context) =>
    apiServiceHttpPlan(intruder(context, ID, 'attempt').label(DATAPLANE_MODE_NONE.key, DATAPLANE_MODE_NONE.value).build(), context, '/api/ping'),
  control: (context) => apiServiceControl(context, ID),
  expect: (stack) => {
    if (hardenedAdmission(stack)) return hardenedAdmissionDeny('meshOptOut', TAG, stack);
    if (cniEnforces(stack)) return cniDrop(TAG, 'documented', labNote(stack, 'intruder egress to api is not allowed'));
    if (ambientEnforces(stack)) return blocked('mesh-ztunnel', 'reset', TAG, stack.isLab ? 'inferred' : 'documented', labNote(stack, 'ztunnel logs an empty src.identity'));
    return allowed(`${TAG}; no mesh policies applied`, 'documented', labNote(stack));
  },
});
