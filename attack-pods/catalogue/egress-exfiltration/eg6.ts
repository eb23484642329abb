import { defineAttack } from '../define-attack.ts';
import { allowed, cniDrop, cniEnforces, labNote, hardenedAdmission, hardenedAdmissionDeny } from '../expectation-builders.ts';
import { sinkPortPlan } from '../plans.ts';
import { sinkControl } from '../controls.ts';
import { REF } from '../references.ts';
import { intruder } from '../attackers.ts';

const ID = 'EG6';
const TAG = `Istio cannot securely enforce that egress flows through the egress gateway — ${REF.egressGateway.cite}`;
const EXCLUDE_PORTS = 'traffic.sidecar.istio.io/excludeOutboundPorts';

/**
 * The scene has no egress gateway: EG6 measures whether a pod can leave without passing the mesh's egress path at
 * all, here via SC3's sibling annotation (excludeOutboundPorts) and raw TCP.
 */
export const EG6 = defineAttack({
  id: ID,
  family: 'egress-exfiltration',
  title: "Skip the mesh's egress path (excludeOutboundPorts)",
  technique: "intruder is created with `traffic.sidecar.istio.io/excludeOutboundPorts: <sink tcp port>` and sends the canary over raw TCP to the sink.",
  preconditions: ['whoever creates the pod may set its annotations'],
  references: [REF.egressGateway, REF.istioAnnotations, REF.networkPolicy],
  success: 'sink-canary',
  source: TAG,
  attempt: (context) => sinkPortPlan(intruder(context, ID, 'attempt').annotate(EXCLUDE_PORTS, String(context.addresses.sink.tcpPort)).build(), context, 'tcp'),
  control: (context) => sinkControl(context, ID, 'tcp'),
  expect: (stack) => {
    if (hardenedAdmission(stack)) return hardenedAdmissionDeny('captureOptOut', TAG, stack);
    if (cniEnforces(stack)) return cniDrop(`${TAG}; D when only a gateway may leave (here: nothing may)`, 'documented', labNote(stack));
    return allowed(TAG, 'documented', labNote(stack, stack.mesh === 'istio-ambient' ? 'the annotation is inert in ambient; ztunnel passes egress anyway' : undefined));
  },
});
