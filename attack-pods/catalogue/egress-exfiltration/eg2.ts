import { defineAttack } from '../define-attack.ts';
import { allowed, blocked, hardenedSet, labNote } from '../expectation-builders.ts';
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
  references: [REF.ciliumPolicyLanguage, REF.ciliumDnsPolicy, REF.calicoDomainPolicy, REF.networkPolicy],
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
  expect: (stack) => {
    const ciliumDns = stack.cni === 'cilium' && stack.enforcesNetworkPolicy;
    if (ciliumDns && hardenedSet(stack)) {
      // The hardened set's DNS rule allows only the cluster's Service names: Cilium's DNS proxy refuses the query.
      return blocked(
        'cni',
        undefined,
        `${TAG}; the hardened set's Cilium DNS rule allows only *.*.svc.cluster.local names, any other query is refused by the DNS proxy — ${REF.ciliumDnsPolicy.cite}`,
        stack.mesh === 'istio-ambient' ? 'inferred' : 'documented',
        stack.mesh === 'istio-ambient' ? "ambient: assumes the query leaves the pod's own endpoint (ztunnel's DNS proxy runs in the pod's network namespace)" : undefined,
      );
    }
    if (stack.cni === 'calico' && hardenedSet(stack)) {
      return allowed(`${TAG}; domain-name policy is Calico Enterprise/Cloud only, not Calico Open Source — ${REF.calicoDomainPolicy.cite}`, 'documented');
    }
    return allowed(TAG, 'documented', labNote(stack, ciliumDns ? "the layered set's DNS rule matches '*': visible in Hubble, not stopped" : undefined));
  },
});
