import { defineAttack } from '../define-attack.ts';
import { allowed, cniDrop, cniEnforces, labNote } from '../expectation-builders.ts';
import { plan } from '../plans.ts';
import { sinkControl } from '../controls.ts';
import { REF } from '../references.ts';
import { intruder } from '../attackers.ts';

const ID = 'EG3';
const TAG = `an egress rule with ports but no "to" peer allows that port to every destination — ${REF.networkPolicy.cite}`;

export const EG3 = defineAttack({
  id: ID,
  family: 'egress-exfiltration',
  title: 'Abuse "allow port 53": DNS straight to the sink',
  technique: 'intruder sends TXT <canary>.exfil.test directly to the sink IP on 53, over UDP and then TCP, skipping cluster DNS.',
  preconditions: [],
  references: [REF.networkPolicy, REF.istioSecurityBestPractices],
  success: 'sink-canary',
  source: TAG,
  attempt: (context) =>
    plan({
      pod: intruder(context, ID, 'attempt').build(),
      script: 'direct-dns.sh',
      canary: context.canary,
      env: { SINK_IP: context.addresses.sink.ip, DNS_PORT: String(context.addresses.sink.dnsPort), DNS_ZONE: context.addresses.sink.dnsZone },
      flow: { protocol: 'dns', destinationIp: context.addresses.sink.ip, destinationPort: context.addresses.sink.dnsPort },
    }),
  control: (context) => sinkControl(context, ID, 'dns'),
  expect: (stack) => {
    if (cniEnforces(stack)) return cniDrop(`${TAG}; the layered set names kube-dns as the peer`, 'documented', labNote(stack));
    return allowed(`${TAG}; UDP is not captured by the mesh`, 'documented', labNote(stack));
  },
});
