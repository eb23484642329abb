import { defineAttack } from '../define-attack.ts';
import { allowed, blocked, labNote } from '../expectation-builders.ts';
import { plan, workloadAddress } from '../plans.ts';
import { apiPodControl, nodeClient, sameSource } from '../controls.ts';
import { REF } from '../references.ts';
import { rogue } from '../attackers.ts';
import type { AttemptContext, AttemptPlan } from '../../../core/domain/attack.ts';
import { TIMEOUTS } from '../../../core/timeouts.ts';
import { SCENE } from '../../../manifests/scene.ts';

const TAG = `sidecars and ztunnel encrypt pod-to-pod traffic with mutual TLS (ztunnel: HBONE on 15008) — ${REF.istioMutualTls.cite}; ${REF.ztunnelHbone.cite}`;

/** The sniffer: a privileged hostNetwork pod on api's node capturing api's TCP traffic; `selfSend` for the control. */
function capturePlan(context: AttemptContext, role: 'attempt' | 'control', selfSend: boolean): AttemptPlan {
  const api = workloadAddress(context, 'api');
  const port = SCENE.workloads.api.port;
  const sniffer = role === 'attempt' ? rogue(context, 'EV1', 'attempt', SCENE.namespaces.privileged).hostNetwork().onNode(api.node) : nodeClient(context, 'EV1', api.node);
  return plan({
    pod: sniffer.build(),
    script: 'packet-capture.sh',
    canary: context.canary,
    env: {
      CAPTURE_HOST: api.podIp,
      CAPTURE_SECONDS: String(TIMEOUTS.captureSeconds),
      ...(selfSend ? { SELF_SEND: '1', SELF_PORT: String(port) } : {}),
    },
    flow: { protocol: 'tcp', destinationIp: api.podIp, destinationPort: port },
  });
}

/** EV1: a node-level sniffer on api's node reads frontend → api traffic. */
export const EV1 = defineAttack({
  id: 'EV1',
  family: 'eavesdropping',
  title: "A host-network sniffer reads pod-to-pod traffic on its node",
  technique:
    "A privileged hostNetwork pod on api's node runs tcpdump on every interface for api's pod IP while frontend's identity sends GET /api/ping carrying the canary to api; the canary in a captured payload means plaintext.",
  preconditions: ['the pod may use hostNetwork with CAP_NET_RAW (a PSA privileged namespace)', 'tcpdump in the attacker image'],
  references: [REF.istioMutualTls, REF.ztunnelHbone, REF.podSecurityStandards],
  success: 'packet-capture',
  source: TAG,
  attempt: (context) => capturePlan(context, 'attempt', false),
  // The same sniffer sends its own canary in plaintext to api's pod IP and port (node → own pods: never filtered,
  // never captured by a mesh) and must capture it: it sees api's traffic there, and the matcher finds a canary.
  control: (context) => sameSource(capturePlan(context, 'control', true)),
  victim: (context) => apiPodControl(context, 'EV1'),
  expect: (stack) => {
    if (stack.mesh === 'istio-sidecar') return blocked('mesh-sidecar', undefined, `${TAG}; sidecar-to-sidecar traffic uses auto mTLS`, 'documented', labNote(stack));
    if (stack.mesh === 'istio-ambient') return blocked('mesh-ztunnel', undefined, `${TAG}; ambient pods talk HBONE between ztunnels`, 'documented', labNote(stack));
    return allowed(`no layer of this stack encrypts pod traffic (no mesh, no WireGuard) — ${REF.istioMutualTls.cite}`, 'documented', labNote(stack));
  },
});
