import { defineAttack } from '../define-attack.ts';
import { blocked, cniEnforces } from '../expectation-builders.ts';
import { plan } from '../plans.ts';
import { sameSource } from '../controls.ts';
import { REF } from '../references.ts';
import { intruder } from '../attackers.ts';

const ID = 'HN6';
const TAG = `a pod with CAP_NET_RAW sends router advertisements to its node's side of the veth; an affected CNI leaves accept_ra on there — ${REF.cve202010749.cite}`;
const ALL_NODES = 'ff02::1';

/**
 * CVE-2020-10749, measured by what the advisory says to look for: the host side of the pod's interface configuring
 * an address from the rogue prefix (its DAD neighbor solicitation, seen from the pod). The RA's router lifetime is 0
 * and its prefix expires after 60 s, so an accepting node keeps no default route through the pod.
 */
export const HN6 = defineAttack({
  id: ID,
  family: 'host-network',
  title: "Rogue IPv6 router advertisement to the node (CVE-2020-10749, default CAP_NET_RAW)",
  technique:
    'intruder sends an ICMPv6 router advertisement (hop limit 255, a 2001:db8::/32 prefix derived from the canary, autonomous) to all-nodes on eth0 and captures the neighbor solicitations that follow: DAD for an address in that prefix means the node took the RA.',
  preconditions: ['the container keeps CAP_NET_RAW (the runtime default)', "IPv6 is on in the pod and on the node's side of the veth"],
  references: [REF.cve202010749, REF.cniPluginsAcceptRa, REF.kindnetPtp, REF.podSecurityStandards],
  success: 'client-signal',
  source: TAG,
  notApplicable: (stack) => {
    if (stack.isLab) {
      return 'the lab is IPv4-only (IPv6 is disabled in every lab namespace) and models no CNI\'s host-side accept_ra: an RA there would measure a sysctl the lab chose, not a CNI';
    }
    // kindnet without a NetworkPolicy layer: the fix is the CNI plugin's own sysctl, and a stack without the cni
    // layer has no layer a block could be credited to (core/domain/stack-layers.ts).
    if (stack.cni === 'kindnet' && !cniEnforces(stack)) {
      return `kind's kindnet wires pods with the CNI ptp plugin, which turns accept_ra off on the host-side veth since v0.8.6 (${REF.cniPluginsAcceptRa.url}); that block is no layer this stack is measured on (no NetworkPolicy layer), so no cell could credit it`;
    }
    // flannel enforces no NetworkPolicy, so it never has the cni layer: whatever its bridge delegate's host-side
    // sysctls do with the RA, no cell could credit it.
    if (stack.cni === 'flannel') {
      return 'flannel enforces no NetworkPolicy, so this stack has no cni layer: whatever its bridge delegate does with a router advertisement is no layer this stack is measured on, so no cell could credit it';
    }
    return undefined;
  },
  attempt: (context) =>
    plan({
      pod: intruder(context, ID, 'attempt').build(),
      script: 'ipv6-rogue-ra.sh',
      canary: context.canary,
      env: { INTERFACE: 'eth0' },
      flow: { protocol: 'icmp', destinationIp: ALL_NODES },
    }),
  // The same pod, without the RA: an ICMPv6 echo to all-nodes that the node answers proves IPv6 works both ways on
  // that link (the node is every pod's permitted peer: node ↔ own pods is never filtered).
  control: (context) =>
    sameSource(
      plan({
        pod: intruder(context, ID, 'control').build(),
        script: 'ipv6-link-peer.sh',
        canary: context.canary,
        env: { INTERFACE: 'eth0' },
        flow: { protocol: 'icmp', destinationIp: ALL_NODES },
      }),
    ),
  expect: (stack) => {
    const note = 'if the pinned CNI drops pod IPv6 altogether (an IPv4-only install), the same-source control fails and the cell is inconclusive, never blocked';
    if (stack.cni === 'calico') return blocked('cni', 'timeout', `${TAG}; Calico's fix (CVE-2020-13597, 3.14.1) is in the pinned release`, 'documented', note);
    if (stack.cni === 'cilium') return blocked('cni', 'timeout', `${TAG}; Cilium is listed as not affected`, 'documented', note);
    return blocked('cni', 'timeout', `${TAG}; kindnet's ptp plugin turns accept_ra off on the host-side veth — ${REF.cniPluginsAcceptRa.cite}; ${REF.kindnetPtp.cite}`, 'documented', note);
  },
});
