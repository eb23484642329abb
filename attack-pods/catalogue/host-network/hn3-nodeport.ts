import { defineAttack } from '../define-attack.ts';
import { InfrastructureError } from '../../../core/domain/errors.ts';
import { allowed, ambientEnforces, blocked, cniDrop, cniEnforces, sidecarEnforces } from '../expectation-builders.ts';
import { firstNode, plan } from '../plans.ts';
import { nodeProbeControl } from '../controls.ts';
import { REF } from '../references.ts';
import { rogue } from '../attackers.ts';

const ID = 'HN3-nodeport';
const TAG = `a NodePort on a node IP reaches api; api's mesh policy still applies (STRICT) — ${REF.serviceNodePort.cite}; ${REF.peerAuthentication.cite}`;

/**
 * HN3's NodePort leg as its own cell: it exists only where the scene exposes api on a NodePort
 * (`addresses.apiNodePort`). Applicability is decided from the stack (the contract has no addresses there):
 * the lab never has one; kind always does — an absent port there is a broken scene, an infrastructure error.
 */
export const HN3_NODEPORT = defineAttack({
  id: ID,
  family: 'host-network',
  title: 'Pod reaches a NodePort on a node IP',
  technique: "rogue sends GET /api/ping to <node IP>:<api's NodePort>; any HTTP answer proves reach (the port is reported).",
  preconditions: ['the scene exposes api as a NodePort Service'],
  references: [REF.serviceNodePort, REF.ciliumPolicyLanguage, REF.peerAuthentication, REF.networkPolicy],
  success: 'client-signal',
  source: TAG,
  notApplicable: (stack) => (stack.isLab ? 'the scene has no NodePort here (addresses.apiNodePort is absent: the lab has no kube-proxy)' : undefined),
  attempt: (context) => {
    const port = context.addresses.apiNodePort;
    if (port === undefined) throw new InfrastructureError('scene', `${ID} needs api's NodePort; the scene reported none`);
    const node = firstNode(context);
    return plan({
      pod: rogue(context, ID, 'attempt').build(),
      script: 'http-ports.sh',
      canary: context.canary,
      env: { TARGET_URLS: `http://${node.ip}:${port}/api/ping?bm=${context.canary}` },
      flow: { protocol: 'http', destinationIp: node.ip, destinationPort: port },
    });
  },
  // A node asks the same node address and port: the node's own traffic is subject to no pod policy.
  control: (context) => nodeProbeControl(context, ID, HN3_NODEPORT.attempt(context)),
  expect: (stack) => {
    if (cniEnforces(stack)) return cniDrop(`${TAG}; rogue egress is default-deny (policy sees the DNATed destination)`, 'inferred');
    if (sidecarEnforces(stack)) return blocked('mesh-sidecar', 'reset', `${TAG}; STRICT: plaintext refused by api's sidecar`, 'documented');
    if (ambientEnforces(stack)) return blocked('mesh-ztunnel', 'reset', `${TAG}; ambient: Z`, 'documented');
    return allowed(TAG, 'documented', 'rogue is outside the mesh: no proxy filters its egress');
  },
});
