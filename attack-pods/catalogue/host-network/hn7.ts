import { defineAttack } from '../define-attack.ts';
import { cniDrop, cniEnforces } from '../expectation-builders.ts';
import { plan } from '../plans.ts';
import { tcpSameSource } from '../controls.ts';
import { REF } from '../references.ts';
import { intruder } from '../attackers.ts';

const ID = 'HN7';
const TAG = `with route_localnet=1 a node accepts packets for 127.0.0.1 from a neighbour on its link; kubelet and kube-proxy drop non-local packets to 127.0.0.0/8 — ${REF.cve20208558.cite}`;
/** The kubelet's healthz, bound to the node's loopback only. */
export const KUBELET_HEALTHZ_PORT = 10248;

/**
 * CVE-2020-8558 from a pod: one hand-written Ethernet frame (a TCP SYN to 127.0.0.1:10248) to the node's side of the
 * veth. Any answer from 127.0.0.1 — SYN-ACK or RST — proves the node's loopback took a packet from the pod.
 */
export const HN7 = defineAttack({
  id: ID,
  family: 'host-network',
  title: "Reach the node's 127.0.0.1 services through route_localnet (CVE-2020-8558, default CAP_NET_RAW)",
  technique: `intruder writes a TCP SYN to 127.0.0.1:${KUBELET_HEALTHZ_PORT} (the kubelet's loopback-only healthz) in an Ethernet frame to its gateway's MAC through a packet socket, and captures an answer from 127.0.0.1.`,
  preconditions: ['the container keeps CAP_NET_RAW (the runtime default)', 'the node sets route_localnet=1 (kind does on every node)'],
  references: [REF.cve20208558, REF.kindNodeSysctls, REF.kubeletConfig, REF.networkPolicy],
  success: 'client-signal',
  source: TAG,
  notApplicable: (stack) => {
    if (stack.isLab) return 'the lab has no kubelet or kube-proxy: no lab node sets route_localnet or listens on its loopback';
    // Without a NetworkPolicy layer, what stops it is the node's own KUBE-FIREWALL rule: no layer a cell could credit.
    if (!cniEnforces(stack)) {
      return `kind sets route_localnet=1 on its nodes (${REF.kindNodeSysctls.url}) and kubelet and kube-proxy drop non-local packets to 127.0.0.0/8 (KUBE-FIREWALL, ${REF.cve20208558.url}); that node rule is no layer this stack is measured on (no NetworkPolicy layer), so no cell could credit it`;
    }
    return undefined;
  },
  attempt: (context) =>
    plan({
      pod: intruder(context, ID, 'attempt').build(),
      script: 'localnet-probe.sh',
      canary: context.canary,
      env: { TARGET_PORT: String(KUBELET_HEALTHZ_PORT), INTERFACE: 'eth0' },
      flow: { protocol: 'tcp', destinationIp: '127.0.0.1', destinationPort: KUBELET_HEALTHZ_PORT },
    }),
  // The same pod's TCP egress works (a DNS query over TCP to cluster DNS): a silent drop is the policy's.
  control: (context) => tcpSameSource(context, intruder(context, ID, 'control')),
  expect: (stack) =>
    cniDrop(
      `${TAG}; the pod's egress default-deny does not allow 127.0.0.1 — ${REF.networkPolicy.cite}; before it, kind's nodes would take the packet (${REF.kindNodeSysctls.cite}) and the kubelet's KUBE-FIREWALL rule drop it`,
      'inferred',
    ),
});
