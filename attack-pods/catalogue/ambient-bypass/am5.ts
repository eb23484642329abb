import { definePrivilegedPair } from '../define-attack.ts';
import { allowed, ambientEnforces, blocked, labNote, sidecarEnforces } from '../expectation-builders.ts';
import { apiPodHttpPlan, withHostNetworkDns, workloadAddress } from '../plans.ts';
import { apiPodControl } from '../controls.ts';
import { REF } from '../references.ts';
import { intruder } from '../attackers.ts';
import { SCENE } from '../../../manifests/scene.ts';

const TAG = `kubelet probes are SNATed to 169.254.7.127, which the in-pod rules accept without capture; node traffic to local pods is allowed by the CNI — ${REF.ambientNetworkPolicy.cite}; ${REF.istioCaptureGoldenAmbient.cite}`;

/** AM5 / AM5-priv: a host-network pod on api's node calls api's pod IP (node → local pod). */
export const [AM5, AM5_PRIV] = definePrivilegedPair(
  {
    id: 'AM5',
    family: 'ambient-bypass',
    title: "Host-network pod on the victim's node calls the victim",
    technique: "A hostNetwork pod scheduled on api's node sends plaintext GET /api/ping to api's pod IP: node-originated traffic to local pods is allowed by the CNIs and, in ambient, SNATed to 169.254.7.127.",
    preconditions: ['the pod may use hostNetwork', "the attacker can pick api's node"],
    references: [REF.ambientNetworkPolicy, REF.ambientRedirection, REF.istioCaptureGoldenAmbient],
    success: 'client-signal',
    source: TAG,
    baselineNamespace: SCENE.namespaces.rogue,
    attemptIn: (context, namespace, id) => {
      const api = workloadAddress(context, 'api');
      return apiPodHttpPlan(withHostNetworkDns(intruder(context, id, 'attempt', namespace).hostNetwork().onNode(api.node).build()), context, SCENE.workloads.api.port, '/api/ping');
    },
    controlIn: (context, id) => apiPodControl(context, id),
    expectPrivileged: (stack) => {
      if (sidecarEnforces(stack)) return blocked('mesh-sidecar', 'reset', `${TAG}; sidecar STRICT: R`, 'documented', labNote(stack, 'the CNI lets the node reach its own pods; the sidecar refuses plaintext'));
      if (ambientEnforces(stack)) return allowed(`${TAG}; ambient: A via the 169.254.7.127 exemption`, 'version-dependent', labNote(stack));
      return allowed(`${TAG}; node → own pods is allowed by default and cannot be blocked with NetworkPolicy`, 'version-dependent', labNote(stack));
    },
  },
  SCENE.namespaces.privileged,
);
