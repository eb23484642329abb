import { definePrivilegedPair } from '../define-attack.ts';
import { allowed } from '../expectation-builders.ts';
import type { V1Pod } from '@kubernetes/client-node';
import type { AttemptContext, AttemptPlan } from '../../../core/domain/attack.ts';
import { otherNode, plan, withHostNetworkDns, workloadAddress } from '../plans.ts';
import { nodeProbeControl } from '../controls.ts';
import { REF } from '../references.ts';
import { rogue } from '../attackers.ts';
import { SCENE } from '../../../manifests/scene.ts';

const TAG = `Calico host endpoints keep failsafe ports open — ${REF.calicoFailsafe.cite}`;
export const FAILSAFE_PORTS = [22, 179, 2379, 2380, 6443] as const;

/** port-scan.sh of the failsafe ports on a node other than api's. */
function failsafeScan(context: AttemptContext, pod: V1Pod): AttemptPlan {
  const target = otherNode(context, workloadAddress(context, 'api').node);
  return plan({
    pod,
    script: 'port-scan.sh',
    canary: context.canary,
    env: { TARGET_HOST: target.ip, TARGET_PORTS: FAILSAFE_PORTS.join(' ') },
    flow: { protocol: 'tcp', destinationIp: target.ip },
  });
}

/** HN5 / HN5-priv: from a host-network pod (a node), probe another node's failsafe ports. */
export const [HN5, HN5_PRIV] = definePrivilegedPair(
  {
    id: 'HN5',
    family: 'host-network',
    title: "Probe Calico's failsafe ports on another node",
    technique: `A hostNetwork pod probes TCP ${FAILSAFE_PORTS.join(', ')} on another node's IP; Calico's failsafe rules keep them open even under a HostEndpoint default-deny.`,
    preconditions: ['Calico', 'the pod may use hostNetwork', 'the cluster has at least two nodes'],
    references: [REF.calicoFailsafe],
    success: 'client-signal',
    source: TAG,
    notApplicable: (stack) => {
      if (stack.isLab) return 'the lab has no Calico HostEndpoints';
      if (stack.cni !== 'calico') return 'failsafe ports are a Calico HostEndpoint feature';
      return undefined;
    },
    baselineNamespace: SCENE.namespaces.rogue,
    attemptIn: (context, namespace, id) =>
      failsafeScan(context, withHostNetworkDns(rogue(context, id, 'attempt', namespace).hostNetwork().onNode(workloadAddress(context, 'api').node).build())),
    // The node api runs on (in bm-privileged, where PSA admits hostNetwork) probes the same ports.
    controlIn: (context, id) => nodeProbeControl(context, id, failsafeScan(context, rogue(context, id, 'control').build()), workloadAddress(context, 'api').node),
    expectPrivileged: () =>
      allowed(TAG, 'documented', 'the scene applies no HostEndpoint; with one, the failsafe rules keep these ports open anyway (179 BGP, 6443 API)'),
  },
  SCENE.namespaces.privileged,
);
