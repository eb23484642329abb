import { defineAttack } from '../define-attack.ts';
import { allowed, cniDrop, cniEnforces, labNote } from '../expectation-builders.ts';
import { dnsControl, plan, workloadAddress } from '../plans.ts';
import { REF } from '../references.ts';
import { rogue } from '../attackers.ts';
import { SCENE } from '../../../manifests/scene.ts';

const ID = 'SC7';
const TAG = 'ATTACKS.md SC7 [D: application requirements, 15090/15021/15020 are not captured and have no authz]';

export const SC7 = defineAttack({
  id: ID,
  family: 'sidecar-bypass',
  title: "Read a workload's proxy stats port from another pod",
  technique: "rogue (no proxy) sends GET /stats/prometheus to api's pod IP on 15090, a port the inbound capture exempts.",
  preconditions: ['the target runs an Envoy sidecar'],
  references: [REF.istioAppRequirements],
  success: 'client-signal',
  source: TAG,
  notApplicable: (stack) => (stack.mesh === 'istio-sidecar' ? undefined : 'no sidecar on api: there is no proxy stats port to reach'),
  attempt: (context) => {
    const api = workloadAddress(context, 'api');
    return plan({
      pod: rogue(context, ID, 'attempt').build(),
      script: 'http-probe.sh',
      canary: context.canary,
      env: { TARGET_URL: `http://${api.podIp}:${SCENE.envoy.stats}/stats/prometheus` },
      flow: { protocol: 'http', destinationIp: api.podIp, destinationPort: SCENE.envoy.stats },
    });
  },
  control: (context) => dnsControl(rogue(context, ID, 'control'), context),
  expect: (stack) => {
    if (cniEnforces(stack)) return cniDrop(TAG, 'documented', labNote(stack, 'rogue egress and api ingress are default-deny; 15090 is not allowed'));
    return allowed(TAG, 'documented', labNote(stack));
  },
});
