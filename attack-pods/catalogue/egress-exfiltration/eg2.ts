import { defineAttack } from '../define-attack.ts';
import { allowed, labNote } from '../expectation-builders.ts';
import { dnsControl, plan } from '../plans.ts';
import { REF } from '../references.ts';
import { intruder } from '../attackers.ts';

const ID = 'EG2';
const TAG = `DNS to kube-dns is allowed; only DNS-aware (L7) policy such as Cilium's can restrict the names — ${REF.ciliumPolicyLanguage.cite}; ${REF.networkPolicy.cite}`;

export const EG2 = defineAttack({
  id: ID,
  family: 'egress-exfiltration',
  title: 'DNS tunnel through cluster DNS',
  technique: 'intruder asks its own resolver for TXT <canary>.exfil.test; cluster DNS forwards the zone to the sink, which records the label.',
  preconditions: ['egress to kube-dns :53 is allowed (it must be, for anything to work)'],
  references: [REF.ciliumPolicyLanguage, REF.networkPolicy],
  success: 'sink-canary',
  source: TAG,
  attempt: (context) =>
    plan({
      pod: intruder(context, ID, 'attempt').build(),
      script: 'dns-tunnel.sh',
      canary: context.canary,
      env: { DNS_ZONE: context.addresses.sink.dnsZone },
      flow: { protocol: 'dns', destinationName: `${context.canary}.${context.addresses.sink.dnsZone}`, destinationPort: 53 },
    }),
  // Same source: a scene name through the same resolver, which this pod is permitted to ask.
  control: (context) => dnsControl(intruder(context, ID, 'control'), context),
  expect: (stack) =>
    allowed(TAG, 'documented', labNote(stack, stack.cni === 'cilium' && stack.enforcesNetworkPolicy ? "the layered set's DNS rule matches '*': visible in Hubble, not stopped" : undefined)),
});
