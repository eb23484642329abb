import { defineAttack } from '../define-attack.ts';
import { allowed, cniDrop, cniEnforces } from '../expectation-builders.ts';
import { firstNode, plan } from '../plans.ts';
import { nodeProbeControl } from '../controls.ts';
import { REF } from '../references.ts';
import { rogue } from '../attackers.ts';

const ID = 'HN3';
const TAG = `node ports are reachable unless egress policy covers node IPs (Cilium: toEntities host); a 401 still proves reach — ${REF.ciliumPolicyLanguage.cite}; ${REF.kubeletAuth.cite}`;
export const KUBELET_PORT = 10250;

export const HN3 = defineAttack({
  id: ID,
  family: 'host-network',
  title: "Pod reaches a node's kubelet and the API server directly",
  technique:
    "rogue sends GET https://<node IP>:10250/healthz (kubelet) and GET https://<API server address>:<port>/version (6443 on kind), certificates not checked; each port is reported, and any HTTP answer — a 401/403 included — proves reach.",
  preconditions: [],
  references: [REF.kubeletAuth, REF.ciliumPolicyLanguage, REF.rbac, REF.networkPolicy],
  success: 'client-signal',
  source: TAG,
  notApplicable: (stack) => (stack.isLab ? 'the lab has no kubelet or API server on its nodes' : undefined),
  attempt: (context) => {
    const node = firstNode(context);
    const api = context.addresses.apiServer;
    return plan({
      pod: rogue(context, ID, 'attempt').build(),
      script: 'http-ports.sh',
      canary: context.canary,
      env: { TARGET_URLS: `https://${node.ip}:${KUBELET_PORT}/healthz https://${api.host}:${api.port}/version`, INSECURE: '1' },
      // Two ports, maybe two hosts: the flow names the destination only when both share it.
      flow: api.host === node.ip ? { protocol: 'tcp', destinationIp: node.ip } : { protocol: 'tcp' },
    });
  },
  // A node asks the same node address and port: the node's own traffic is subject to no pod policy.
  control: (context) => nodeProbeControl(context, ID, HN3.attempt(context)),
  expect: (stack) => {
    if (cniEnforces(stack)) return cniDrop(`${TAG}; D with egress policy`, 'documented');
    return allowed(TAG, 'documented', 'rogue is outside the mesh: no proxy filters its egress');
  },
});
