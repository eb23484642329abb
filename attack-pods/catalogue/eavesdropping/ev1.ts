import { defineAttack } from '../define-attack.ts';
import { workloadAddress } from '../plans.ts';
import { nodeClient, sameSource } from '../controls.ts';
import { REF } from '../references.ts';
import { rogue } from '../attackers.ts';
import { SCENE } from '../../../manifests/scene.ts';
import { capturePlan, victimRequest } from './capture-plans.ts';
import { EAVESDROPPING_SOURCE, encryptionExpectation } from './expectations.ts';

/** EV1: a node-level sniffer on api's node reads frontend → api traffic. */
export const EV1 = defineAttack({
  id: 'EV1',
  family: 'eavesdropping',
  title: 'A host-network sniffer reads pod-to-pod traffic on its node',
  technique:
    "A privileged hostNetwork pod on api's node runs tcpdump on every interface for api's pod IP while frontend's identity sends GET /api/ping carrying the canary to api; the canary in a captured payload means plaintext.",
  preconditions: ['the pod may use hostNetwork with CAP_NET_RAW (a PSA privileged namespace)', 'tcpdump in the attacker image'],
  references: [REF.istioMutualTls, REF.ztunnelHbone, REF.ciliumWireguard, REF.calicoWireguard, REF.podSecurityStandards],
  success: 'packet-capture',
  source: EAVESDROPPING_SOURCE,
  attempt: (context) => capturePlan(context, rogue(context, 'EV1', 'attempt', SCENE.namespaces.privileged).hostNetwork().onNode(workloadAddress(context, 'api').node)),
  // The same sniffer sends its own canary in plaintext to api's pod IP and port (node → own pods: never filtered,
  // never captured by a mesh) and must capture it: it sees api's traffic there, and the matcher finds a canary.
  control: (context) => {
    const api = workloadAddress(context, 'api');
    return sameSource(capturePlan(context, nodeClient(context, 'EV1', api.node), { host: api.podIp, port: SCENE.workloads.api.port }));
  },
  victim: (context) => victimRequest(context, 'EV1'),
  expect: (stack) => encryptionExpectation(stack, "captured on api's node", true),
});
