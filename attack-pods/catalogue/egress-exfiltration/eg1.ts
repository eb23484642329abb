import { defineAttack } from '../define-attack.ts';
import { allowed, blocked, cniDrop, cniEnforces, labNote, sidecarEnforces } from '../expectation-builders.ts';
import { sinkPortPlan } from '../plans.ts';
import { sinkControl } from '../controls.ts';
import { REF } from '../references.ts';
import { intruder } from '../attackers.ts';

const ID = 'EG1';
const TAG = `REGISTRY_ONLY blackholes unknown destinations (502 or closed) but is not a security boundary — ${REF.egressControl.cite}; ${REF.egressGateway.cite}`;

export const EG1 = defineAttack({
  id: ID,
  family: 'egress-exfiltration',
  title: "Raw TCP to the sink's literal IP",
  technique: "intruder opens a TCP connection to the sink's IP on its raw TCP port and sends the canary as a line.",
  preconditions: [],
  references: [REF.egressControl, REF.egressGateway, REF.networkPolicy],
  success: 'sink-canary',
  source: TAG,
  attempt: (context) => sinkPortPlan(intruder(context, ID, 'attempt').build(), context, 'tcp'),
  control: (context) => sinkControl(context, ID, 'tcp'),
  expect: (stack) => {
    // The capture hands the connection to the proxy inside the pod; REGISTRY_ONLY blackholes it there, before
    // any packet reaches the CNI — so on CNI + sidecar the sidecar acts first (the CNI would act first only
    // under ALLOW_ANY).
    if (sidecarEnforces(stack)) return blocked('mesh-sidecar', 'reset', `${TAG}; BlackHoleCluster closes the connection`, 'inferred', labNote(stack));
    if (cniEnforces(stack)) return cniDrop(TAG, 'documented', labNote(stack));
    if (stack.mesh === 'istio-ambient') return allowed(`${TAG}; ztunnel passes egress`, 'documented', labNote(stack));
    return allowed(TAG, 'documented', labNote(stack));
  },
});
