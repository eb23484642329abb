import { defineAttack } from '../define-attack.ts';
import { allowed, cniDrop, cniEnforces, labNote, hardenedAdmission, hardenedAdmissionDeny } from '../expectation-builders.ts';
import { sinkHttpPlan } from '../plans.ts';
import { sinkControl } from '../controls.ts';
import { REF } from '../references.ts';
import { intruder } from '../attackers.ts';

const ID = 'SC3-noinject';
const TAG = `a pod opts out of injection with sidecar.istio.io/inject: "false"; Pod Security admission does not look at annotations — ${REF.istioSidecarInjection.cite}; ${REF.podSecurityStandards.cite}`;
/** Istio prefers the label of the same name; the annotation is the older form the injector still honours. */
export const NO_INJECT = { key: 'sidecar.istio.io/inject', value: 'false' } as const;

/** SC3's other self-annotation: the pod opts out of injection, so no proxy and no capture exist at all. */
export const SC3_NOINJECT = defineAttack({
  id: ID,
  family: 'sidecar-bypass',
  title: 'Self-annotate sidecar.istio.io/inject: "false"',
  technique: 'intruder is created in bm-app (injection enabled) with `sidecar.istio.io/inject: "false"`: no proxy is injected, nothing captures its traffic; it sends HTTP with the canary to the sink.',
  preconditions: ['whoever creates the pod may set its annotations (no admission policy on Istio annotations)'],
  references: [REF.istioSidecarInjection, REF.istioAnnotations, REF.podSecurityStandards, REF.networkPolicy],
  success: 'sink-canary',
  source: TAG,
  notApplicable: (stack) =>
    stack.mesh === 'istio-ambient' ? 'sidecar injection does not exist in ambient mode (see AM3 for its opt-out label)' : undefined,
  attempt: (context) =>
    sinkHttpPlan(intruder(context, ID, 'attempt').annotate(NO_INJECT.key, NO_INJECT.value).build(), context),
  control: (context) => sinkControl(context, ID, 'http'),
  expect: (stack) => {
    if (hardenedAdmission(stack)) return hardenedAdmissionDeny('captureOptOut', TAG, stack);
    if (cniEnforces(stack)) return cniDrop(TAG, 'documented', labNote(stack, 'no proxy, but the CNI still drops at the source node'));
    if (stack.mesh === 'istio-sidecar') {
      return allowed(`${TAG}; no sidecar: neither capture nor REGISTRY_ONLY applies`, 'documented', labNote(stack, 'no proxy sees the traffic: no access-log line'));
    }
    return allowed(TAG, 'documented', labNote(stack, 'no mesh: the annotation is inert, nothing filters egress'));
  },
});
