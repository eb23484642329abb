import { definePrivilegedPair } from '../define-attack.ts';
import { allowed, ambientEnforces, blocked, cniDrop, cniEnforces, labNote, sidecarEnforces } from '../expectation-builders.ts';
import { apiPodHttpPlan, otherNode, withHostNetworkDns, workloadAddress } from '../plans.ts';
import { apiPodControl } from '../controls.ts';
import { REF } from '../references.ts';
import { rogue } from '../attackers.ts';
import { SCENE } from '../../../manifests/scene.ts';

const TAG = `NetworkPolicy behaviour for host-network pods is undefined — ${REF.networkPolicy.cite}; ${REF.ciliumPolicyLanguage.cite}`;

/** HN2 / HN2-priv: a host-network pod on another node calls api's pod IP. */
export const [HN2, HN2_PRIV] = definePrivilegedPair(
  {
    id: 'HN2',
    family: 'host-network',
    title: 'Host-network pod calls a pod on another node',
    technique: "A hostNetwork pod on a node other than api's sends plaintext GET /api/ping to api's pod IP; the source is the node's address.",
    preconditions: ['the pod may use hostNetwork', 'the cluster has at least two nodes'],
    references: [REF.networkPolicy, REF.ciliumPolicyLanguage, REF.peerAuthentication],
    success: 'client-signal',
    source: TAG,
    baselineNamespace: SCENE.namespaces.rogue,
    attemptIn: (context, namespace, id) => {
      const api = workloadAddress(context, 'api');
      return apiPodHttpPlan(withHostNetworkDns(rogue(context, id, 'attempt', namespace).hostNetwork().onNode(otherNode(context, api.node).name).build()), context, SCENE.workloads.api.port, '/api/ping');
    },
    controlIn: (context, id) => apiPodControl(context, id),
    expectPrivileged: (stack) => {
      if (cniEnforces(stack)) return cniDrop(`${TAG}; D unless the node CIDR is allowed`, 'version-dependent', labNote(stack, "api's ingress admits only frontend; a remote node is not frontend"));
      if (sidecarEnforces(stack)) return blocked('mesh-sidecar', 'reset', `${TAG}; STRICT: R`, 'documented', labNote(stack));
      if (ambientEnforces(stack)) return blocked('mesh-ztunnel', 'reset', `${TAG}; ambient: Z`, 'documented', labNote(stack));
      return allowed(TAG, 'documented', labNote(stack));
    },
  },
  SCENE.namespaces.privileged,
);
