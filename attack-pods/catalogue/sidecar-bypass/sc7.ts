import { defineAttack } from '../define-attack.ts';
import { allowed, cniDrop, cniEnforces, labNote } from '../expectation-builders.ts';
import type { V1Pod } from '@kubernetes/client-node';
import type { AttemptContext, AttemptPlan } from '../../../core/domain/attack.ts';
import { plan, workloadAddress } from '../plans.ts';
import { nodeProbeControl } from '../controls.ts';
import { REF } from '../references.ts';
import { rogue } from '../attackers.ts';
import { SCENE } from '../../../manifests/scene.ts';

const ID = 'SC7';
const TAG = `15090, 15021 and 15020 are not captured and carry no authorization — ${REF.istioAppRequirements.cite}`;
/** The proxy's uncaptured ports and what each serves (Envoy stats, health, the agent's merged metrics). */
export const SC7_PROBES = [
  { port: SCENE.envoy.stats, path: '/stats/prometheus' },
  { port: SCENE.envoy.health, path: '/healthz/ready' },
  { port: SCENE.envoy.agent, path: '/stats/prometheus' },
] as const;

function sc7Plan(context: AttemptContext, pod: V1Pod): AttemptPlan {
  const api = workloadAddress(context, 'api');
  return plan({
    pod,
    script: 'http-ports.sh',
    canary: context.canary,
    env: { TARGET_URLS: SC7_PROBES.map((probe) => `http://${api.podIp}:${probe.port}${probe.path}`).join(' ') },
    // Several ports: the flow names the pod, not one port.
    flow: { protocol: 'http', destinationIp: api.podIp },
  });
}

export const SC7 = defineAttack({
  id: ID,
  family: 'sidecar-bypass',
  title: "Read a workload's proxy stats, health and agent ports from another pod",
  technique: `rogue (no proxy) sends one GET to each of api's pod IP ${SC7_PROBES.map((probe) => `:${probe.port}${probe.path}`).join(', ')} — ports the inbound capture exempts; each port is reported, the most permissive answer counts.`,
  preconditions: ['the target runs an Envoy sidecar'],
  references: [REF.istioAppRequirements, REF.networkPolicy],
  success: 'client-signal',
  source: TAG,
  notApplicable: (stack) => (stack.mesh === 'istio-sidecar' ? undefined : 'no sidecar on api: there is no proxy stats port to reach'),
  attempt: (context) => sc7Plan(context, rogue(context, ID, 'attempt').build()),
  // The node api runs on asks the same three ports, as the kubelet probes them: never filtered, never captured.
  control: (context) => nodeProbeControl(context, ID, sc7Plan(context, rogue(context, ID, 'control').build()), workloadAddress(context, 'api').node),
  expect: (stack) => {
    if (cniEnforces(stack)) return cniDrop(TAG, 'documented', labNote(stack, 'rogue egress and api ingress are default-deny; none of the three ports is allowed'));
    return allowed(TAG, 'documented', labNote(stack));
  },
});
