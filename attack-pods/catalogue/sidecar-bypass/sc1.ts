import { defineAttack } from '../define-attack.ts';
import { allowed, cniDrop, cniEnforces, labNote, hardenedAdmission, hardenedAdmissionDeny } from '../expectation-builders.ts';
import { sinkHttpPlan } from '../plans.ts';
import { sinkControl } from '../controls.ts';
import { REF } from '../references.ts';
import { intruder } from '../attackers.ts';
import { SCENE } from '../../../manifests/scene.ts';

const ID = 'SC1';
const TAG = `the capture rules return early for UID/GID 1337 (the proxy's own), so a process running as 1337 is not captured — ${REF.istioCaptureGoldenSidecar.cite}; ${REF.istioAppRequirements.cite}`;

export const SC1 = defineAttack({
  id: ID,
  family: 'sidecar-bypass',
  title: 'Run as the proxy UID 1337 to skip the sidecar capture',
  technique: 'intruder runs with runAsUser 1337 (the proxy UID, exempt from the capture rules) and sends HTTP with the canary to the sink.',
  preconditions: ['intruder may choose its UID (PSA baseline allows any runAsUser)'],
  references: [REF.istioAppRequirements, REF.istioSecurityBestPractices, REF.istioCaptureGoldenSidecar, REF.networkPolicy],
  success: 'sink-canary',
  source: TAG,
  attempt: (context) =>
    sinkHttpPlan(intruder(context, ID, 'attempt').runAsUser(SCENE.proxyUid).build(), context),
  control: (context) => sinkControl(context, ID, 'http'),
  expect: (stack) => {
    if (hardenedAdmission(stack)) return hardenedAdmissionDeny('proxyIdentity', TAG, stack);
    if (cniEnforces(stack)) return cniDrop(TAG, 'documented', labNote(stack, 'the capture is skipped, the CNI still drops at the source node'));
    if (stack.mesh === 'istio-sidecar') return allowed(TAG, 'documented', labNote(stack, 'no proxy sees the traffic: no access-log line'));
    if (stack.mesh === 'istio-ambient') return allowed(`${TAG}; ztunnel ignores the UID`, 'documented', labNote(stack));
    return allowed(`${TAG}; no layer filters egress`, 'documented', labNote(stack));
  },
});
