import { defineAttack } from '../define-attack.ts';
import { allowed, cniDrop, cniEnforces } from '../expectation-builders.ts';
import { dnsControl, firstNode, plan } from '../plans.ts';
import { REF } from '../references.ts';
import { rogue } from '../attackers.ts';

const ID = 'HN3';
const TAG = 'ATTACKS.md HN3 [D: Cilium needs toEntities host; a 401 still proves reach]';
const KUBELET_PORT = 10250;

export const HN3 = defineAttack({
  id: ID,
  family: 'host-network',
  title: "Pod reaches a node's kubelet",
  technique: "rogue sends GET https://<node IP>:10250/healthz (certificate not checked); any HTTP answer, 401 included, proves the port is reachable.",
  preconditions: [],
  references: [REF.kubeletAuth, REF.ciliumPolicyLanguage],
  success: 'client-signal',
  source: TAG,
  notApplicable: (stack) => (stack.isLab ? 'the lab has no kubelet or API server on its nodes' : undefined),
  attempt: (context) => {
    const node = firstNode(context);
    return plan({
      pod: rogue(context, ID, 'attempt').build(),
      script: 'http-probe.sh',
      canary: context.canary,
      env: { TARGET_URL: `https://${node.ip}:${KUBELET_PORT}/healthz`, INSECURE: '1' },
      flow: { protocol: 'tcp', destinationIp: node.ip, destinationPort: KUBELET_PORT },
    });
  },
  control: (context) => dnsControl(rogue(context, ID, 'control'), context),
  expect: (stack) => {
    if (cniEnforces(stack)) return cniDrop(`${TAG}; D with egress policy`, 'documented');
    return allowed(TAG, 'documented', 'rogue is outside the mesh: no proxy filters its egress');
  },
});
