import { defineAttack } from '../define-attack.ts';
import { allowed, cniDrop, cniEnforces, labNote, hardenedAdmission, hardenedAdmissionDeny } from '../expectation-builders.ts';
import { sinkHttpPlan } from '../plans.ts';
import { sinkControl } from '../controls.ts';
import { REF } from '../references.ts';
import { intruder } from '../attackers.ts';

const ID = 'AM3';
const TAG = `the pod label istio.io/dataplane-mode overrides the namespace's — ${REF.ambientAddWorkloads.cite}`;
export const DATAPLANE_MODE_NONE = { key: 'istio.io/dataplane-mode', value: 'none' } as const;

/** AM3 measures the egress half (to the sink); AM3-mesh (added) the other half, into the STRICT mesh. */
export const AM3 = defineAttack({
  id: ID,
  family: 'ambient-bypass',
  title: 'Opt out of ambient with the pod label dataplane-mode=none, then call the sink',
  technique: 'intruder is created with the label `istio.io/dataplane-mode: none` (no in-pod redirection) and sends HTTP with the canary to the sink.',
  preconditions: ['whoever creates the pod may set its labels'],
  references: [REF.ambientAddWorkloads, REF.networkPolicy],
  success: 'sink-canary',
  source: TAG,
  notApplicable: (stack) => (stack.mesh === 'istio-sidecar' ? 'the label means nothing to sidecar injection (see SC3)' : undefined),
  attempt: (context) =>
    sinkHttpPlan(intruder(context, ID, 'attempt').label(DATAPLANE_MODE_NONE.key, DATAPLANE_MODE_NONE.value).build(), context),
  control: (context) => sinkControl(context, ID, 'http'),
  expect: (stack) => {
    if (hardenedAdmission(stack)) return hardenedAdmissionDeny('meshOptOut', TAG, stack);
    if (cniEnforces(stack)) return cniDrop(TAG, 'documented', labNote(stack));
    return allowed(`${TAG}; egress A`, 'documented', labNote(stack));
  },
});
