import { defineAttack } from '../define-attack.ts';
import { allowed, cniDrop, cniEnforces, labNote, hardenedAdmission, hardenedAdmissionDeny } from '../expectation-builders.ts';
import { sinkHttpPlan } from '../plans.ts';
import { sinkControl } from '../controls.ts';
import { REF } from '../references.ts';
import { intruder } from '../attackers.ts';

const ID = 'SC3';
const TAG = `traffic.sidecar.istio.io/excludeOutbound* annotations are set by the pod itself; Pod Security admission does not look at annotations — ${REF.istioAnnotations.cite}; ${REF.podSecurityStandards.cite}`;
const EXCLUDE_ALL = { key: 'traffic.sidecar.istio.io/excludeOutboundIPRanges', value: '0.0.0.0/0' } as const;

export const SC3 = defineAttack({
  id: ID,
  family: 'sidecar-bypass',
  title: 'Self-annotate excludeOutboundIPRanges 0.0.0.0/0',
  technique: 'intruder is created with `traffic.sidecar.istio.io/excludeOutboundIPRanges: 0.0.0.0/0` (the capture then exempts every destination) and sends HTTP with the canary to the sink.',
  preconditions: ['whoever creates the pod may set its annotations (no admission policy on Istio annotations)'],
  references: [REF.istioAnnotations, REF.istioSecurityBestPractices, REF.podSecurityStandards, REF.networkPolicy],
  success: 'sink-canary',
  source: TAG,
  notApplicable: (stack) =>
    stack.mesh === 'istio-ambient' ? 'sidecar capture annotations mean nothing to ambient redirection (see AM3 for its opt-out label)' : undefined,
  attempt: (context) =>
    sinkHttpPlan(intruder(context, ID, 'attempt').annotate(EXCLUDE_ALL.key, EXCLUDE_ALL.value).build(), context),
  control: (context) => sinkControl(context, ID, 'http'),
  expect: (stack) => {
    if (hardenedAdmission(stack)) return hardenedAdmissionDeny('captureOptOut', TAG, stack);
    if (cniEnforces(stack)) return cniDrop(TAG, 'documented', labNote(stack));
    return allowed(TAG, 'documented', labNote(stack, stack.mesh === 'none' ? 'no mesh: the annotation is inert, nothing filters egress' : undefined));
  },
});
