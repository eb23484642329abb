import { defineAttack } from '../define-attack.ts';
import { allowed, blocked, cniDrop, cniEnforces, labNote } from '../expectation-builders.ts';
import { plan, workloadAddress } from '../plans.ts';
import { sinkControl } from '../controls.ts';
import { REF } from '../references.ts';
import { intruder } from '../attackers.ts';

const ID = 'EG8';
const TAG = `a raw socket with IP_HDRINCL writes any source address; CAP_NET_RAW is in the container runtime's default set — ${REF.rawSocket.cite}`;
const CALICO = `${TAG}; ${REF.calicoWorkloadSourceSpoofing.cite}`;
const CILIUM = `${TAG}; ${REF.ciliumSourceIpVerification.cite}`;
const NO_CHECK = `${TAG}; kind sets no rp_filter on its nodes — ${REF.kindNodeSysctls.cite}`;

/**
 * Source-address spoofing, measured where it can be: a forged TCP handshake never completes (the answer goes to the
 * pod whose address was forged) and no scene destination takes UDP from a trusted pod only, so the datagram goes to
 * the sink, which records the canary and the source it saw. The question is the CNI's anti-spoofing, not egress
 * policy: Calico and Cilium drop the forged source whatever the policies say; where nothing checks the source, the
 * forged datagram leaves like any other.
 */
export const EG8 = defineAttack({
  id: ID,
  family: 'egress-exfiltration',
  title: "Forge frontend's source address on a raw UDP datagram to the sink (default CAP_NET_RAW)",
  technique:
    "intruder writes a whole IPv4 packet through a raw socket (IP_HDRINCL): source = frontend's pod IP, a UDP datagram with the canary to the sink's UDP port.",
  preconditions: ['the container keeps CAP_NET_RAW (the runtime default; Pod Security baseline allows it, restricted drops it)'],
  references: [REF.rawSocket, REF.calicoWorkloadSourceSpoofing, REF.ciliumSourceIpVerification, REF.kindNodeSysctls, REF.networkPolicy],
  success: 'sink-canary',
  source: TAG,
  // Calico's and Cilium's anti-spoofing act on any policy set, but a stack without the cni layer has no layer a block
  // could be credited to (core/domain/stack-layers.ts): there the cell would be inconclusive, so it is not run.
  notApplicable: (stack) =>
    (stack.cni === 'calico' || stack.cni === 'cilium') && !cniEnforces(stack)
      ? `${stack.cni}'s anti-spoofing drops the forged source outside NetworkPolicy; without the NetworkPolicy layer this stack has no layer to credit it to`
      : undefined,
  attempt: (context) => {
    const { sink } = context.addresses;
    return plan({
      pod: intruder(context, ID, 'attempt').build(),
      script: 'spoofed-udp.sh',
      canary: context.canary,
      env: { TARGET_HOST: sink.ip, TARGET_PORT: String(sink.udpPort), SPOOF_SOURCE: workloadAddress(context, 'frontend').podIp },
      flow: { protocol: 'udp', destinationIp: sink.ip, destinationPort: sink.udpPort },
    });
  },
  control: (context) => sinkControl(context, ID, 'udp'),
  expect: (stack) => {
    // Anti-spoofing is the CNI's own: it drops before any policy is asked.
    if (stack.cni === 'calico') return blocked('cni', 'timeout', `${CALICO}; the drop does not depend on the policies`, 'documented');
    if (stack.cni === 'cilium') return blocked('cni', 'timeout', `${CILIUM}; the drop does not depend on the policies`, 'documented');
    if (cniEnforces(stack)) {
      return cniDrop(`${TAG}; intruder's egress default-deny applies to what leaves its interface, whatever the source address`, 'inferred', labNote(stack));
    }
    if (stack.isLab) return allowed(`${TAG}; no source check: lab nodes forward with rp_filter 0`, 'inferred', labNote(stack, 'the lab models no CNI anti-spoofing'));
    return allowed(
      NO_CHECK,
      'version-dependent',
      "kindnet checks no source address; the kind node inherits the host's rp_filter default: off (0) or loose (2) forwards the datagram, strict (1) drops it in the kernel. No mesh captures UDP",
    );
  },
});
