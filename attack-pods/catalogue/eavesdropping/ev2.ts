import { defineAttack } from '../define-attack.ts';
import { otherNode, workloadAddress } from '../plans.ts';
import { nodeClient, sameSource } from '../controls.ts';
import { REF } from '../references.ts';
import { rogue } from '../attackers.ts';
import type { AttemptContext } from '../../../core/domain/attack.ts';
import type { PodBuilder } from '../../../manifests/pod-builder.ts';
import { NODE_NETWORK_PLACEMENT } from '../../../manifests/node-network-placement.ts';
import { SCENE } from '../../../manifests/scene.ts';
import { capturePlan, victimRequest } from './capture-plans.ts';
import { EAVESDROPPING_SOURCE, encryptionExpectation } from './expectations.ts';

function onNodeNetwork(builder: PodBuilder): PodBuilder {
  return builder.annotate(NODE_NETWORK_PLACEMENT.key, NODE_NETWORK_PLACEMENT.value);
}

function attemptSniffer(context: AttemptContext): PodBuilder {
  return onNodeNetwork(rogue(context, 'EV2', 'attempt', SCENE.namespaces.privileged).hostNetwork().onNode(workloadAddress(context, 'api').node));
}

/** EV2: a sniffer on the node network (outside every node) reads cross-node frontend → api traffic. */
export const EV2 = defineAttack({
  id: 'EV2',
  family: 'eavesdropping',
  title: 'A sniffer on the node network reads cross-node pod traffic',
  technique:
    "A capture point on the network between the nodes (kind: a container on the kind network; lab: the fabric) runs tcpdump for api's pod IP while frontend's identity, on another node, sends GET /api/ping carrying the canary to api.",
  preconditions: ['a foothold on the node network (a cloud VPC peer, a switch port, a compromised node)', 'the victim and api on different nodes'],
  references: [REF.istioMutualTls, REF.ztunnelHbone, REF.ciliumWireguard, REF.calicoWireguard],
  success: 'packet-capture',
  source: EAVESDROPPING_SOURCE,
  notApplicable: (stack) =>
    stack.isLab ? undefined : 'kind: the capture container on the kind docker network is not built yet (issue 15); only the lab places a sniffer on its fabric',
  attempt: (context) => capturePlan(context, attemptSniffer(context)),
  // Between nodes no destination both permits the fabric and is plaintext on every stack (the CNI drops the fabric's
  // packets to api where it enforces), so the same sniffer proves on its own link that it captures and reads a
  // plaintext canary: TCP to the sink through the same namespace. That the victim's flow was captured at all is
  // required separately before any `blocked` (core/domain/attribution.ts attributeCapture).
  control: (context) => {
    const { sink } = context.addresses;
    return sameSource(
      capturePlan(context, onNodeNetwork(nodeClient(context, 'EV2', workloadAddress(context, 'api').node)), { host: sink.ip, port: sink.tcpPort }),
    );
  },
  victim: (context) => victimRequest(context, 'EV2', otherNode(context, workloadAddress(context, 'api').node).name),
  expect: (stack) => encryptionExpectation(stack, 'captured between the nodes', false),
});
