import { defineAttack } from '../define-attack.ts';
import { allowed, cniDrop, cniEnforces, labNote } from '../expectation-builders.ts';
import { sinkPortPlan } from '../plans.ts';
import { sinkControl } from '../controls.ts';
import { REF } from '../references.ts';
import { intruder } from '../attackers.ts';

const ID = 'SC5';
const TAG = `only TCP is captured: UDP and ICMP never pass through the proxy — ${REF.istioSecurityBestPractices.cite}`;

/** SC5 sends UDP; its ICMP half is EG4 (same intruder, ICMP echo with the canary as payload). */
export const SC5 = defineAttack({
  id: ID,
  family: 'sidecar-bypass',
  title: 'UDP is never captured: datagram with the canary to the sink',
  technique: 'intruder sends one UDP datagram carrying the canary to the sink (`nc -u`); the ICMP variant is EG4.',
  preconditions: [],
  references: [REF.istioSecurityBestPractices, REF.networkPolicy],
  success: 'sink-canary',
  source: TAG,
  attempt: (context) => sinkPortPlan(intruder(context, ID, 'attempt').build(), context, 'udp'),
  control: (context) => sinkControl(context, ID, 'udp'),
  expect: (stack) => {
    if (cniEnforces(stack)) return cniDrop(TAG, 'documented', labNote(stack));
    return allowed(TAG, 'documented', labNote(stack));
  },
});
