import { defineAttack } from '../define-attack.ts';
import { allowed, cniDrop, cniEnforces, labNote } from '../expectation-builders.ts';
import { plan } from '../plans.ts';
import { sinkControl } from '../controls.ts';
import { REF } from '../references.ts';
import { intruder } from '../attackers.ts';

const ID = 'EG4';
const TAG = `only TCP is captured: ICMP and UDP never reach the proxy — ${REF.istioSecurityBestPractices.cite}`;

/** EG4 sends ICMP (SC5 covers the UDP datagram). */
export const EG4 = defineAttack({
  id: ID,
  family: 'egress-exfiltration',
  title: 'ICMP echo carrying the canary to the sink',
  technique: "intruder pings the sink once with the canary's hex digits as the payload pattern (`ping -p`).",
  preconditions: ['unprivileged ICMP (ping_group_range) or NET_RAW, as container runtimes grant by default'],
  references: [REF.istioSecurityBestPractices, REF.networkPolicy],
  success: 'sink-canary',
  source: TAG,
  attempt: (context) =>
    plan({
      pod: intruder(context, ID, 'attempt').build(),
      script: 'icmp-probe.sh',
      canary: context.canary,
      env: { TARGET_HOST: context.addresses.sink.ip },
      flow: { protocol: 'icmp', destinationIp: context.addresses.sink.ip },
    }),
  control: (context) => sinkControl(context, ID, 'icmp'),
  expect: (stack) => {
    if (cniEnforces(stack)) return cniDrop(TAG, 'documented', labNote(stack));
    return allowed(TAG, 'documented', labNote(stack));
  },
});
