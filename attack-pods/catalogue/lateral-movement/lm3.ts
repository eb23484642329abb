import { defineAttack } from '../define-attack.ts';
import { InfrastructureError } from '../../../core/domain/errors.ts';
import { allowed, ambientEnforces, blocked, cniDrop, cniEnforces, sidecarEnforces } from '../expectation-builders.ts';
import { firstNode, plan } from '../plans.ts';
import { nodeProbeControl } from '../controls.ts';
import { REF } from '../references.ts';
import { rogue } from '../attackers.ts';

const ID = 'LM3';
const TAG = `with externalTrafficPolicy: Cluster the source becomes a node; Cilium's ipBlock and node IPs — ${REF.serviceNodePort.cite}; ${REF.ciliumKubernetesNetworkPolicy.cite}`;

export const LM3 = defineAttack({
  id: ID,
  family: 'lateral-movement',
  title: "Reach api through its NodePort on a node IP",
  technique: "rogue sends GET /api/ping to <node IP>:<api NodePort> (externalTrafficPolicy Cluster: the source may be NATed to a node).",
  preconditions: ['api is exposed as a NodePort Service'],
  references: [REF.serviceNodePort, REF.ciliumPolicyLanguage, REF.peerAuthentication, REF.ciliumKubernetesNetworkPolicy, REF.networkPolicy],
  success: 'client-signal',
  source: TAG,
  notApplicable: (stack) => (stack.isLab ? 'the lab has no kube-proxy: NodePorts are not modelled' : undefined),
  attempt: (context) => {
    const port = context.addresses.apiNodePort;
    if (port === undefined) throw new InfrastructureError('scene', 'LM3 needs the api NodePort; the scene reported none');
    const node = firstNode(context);
    return plan({
      pod: rogue(context, ID, 'attempt').build(),
      script: 'http-probe.sh',
      canary: context.canary,
      env: { TARGET_URL: `http://${node.ip}:${port}/api/ping` },
      flow: { protocol: 'http', destinationIp: node.ip, destinationPort: port },
    });
  },
  // A node asks the same node address and port: the node's own traffic is subject to no pod policy.
  control: (context) => nodeProbeControl(context, ID, LM3.attempt(context)),
  expect: (stack) => {
    if (cniEnforces(stack)) return cniDrop(`${TAG}; rogue egress is default-deny (policy sees the DNATed destination)`, 'inferred');
    if (sidecarEnforces(stack)) return blocked('mesh-sidecar', 'reset', `${TAG}; STRICT: R`, 'documented');
    if (ambientEnforces(stack)) return blocked('mesh-ztunnel', 'reset', `${TAG}; ambient: Z`, 'documented');
    return allowed(TAG, 'documented');
  },
});
