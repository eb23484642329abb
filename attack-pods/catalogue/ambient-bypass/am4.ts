import { definePrivilegedPair } from '../define-attack.ts';
import { allowed, cniDrop, cniEnforces, labNote } from '../expectation-builders.ts';
import { sinkHttpPlan } from '../plans.ts';
import { sinkControl } from '../controls.ts';
import { REF } from '../references.ts';
import { intruder } from '../attackers.ts';
import { SCENE } from '../../../manifests/scene.ts';

const TAG = `the in-pod redirection rules live in the pod's network namespace; with NET_ADMIN the pod can flush them — ${REF.ambientRedirection.cite}`;

/** AM4 / AM4-priv: flush the ambient in-pod rules (nat and mangle, both backends), then call the sink. */
export const [AM4, AM4_PRIV] = definePrivilegedPair(
  {
    id: 'AM4',
    family: 'ambient-bypass',
    title: 'Flush the ambient in-pod redirection with NET_ADMIN',
    technique: 'intruder with NET_ADMIN,NET_RAW flushes the nat and mangle tables (ISTIO_OUTPUT and the rest, iptables-nft and -legacy) in its own namespace, then sends HTTP with the canary to the sink.',
    preconditions: ['the pod may add NET_ADMIN and NET_RAW'],
    references: [REF.ambientRedirection, REF.networkPolicy],
    success: 'sink-canary',
    source: TAG,
    notApplicable: (stack) => (stack.mesh === 'istio-sidecar' ? 'ambient redirection only; the sidecar equivalent is SC2' : undefined),
    baselineNamespace: SCENE.namespaces.app,
    attemptIn: (context, namespace, id) =>
      sinkHttpPlan(intruder(context, id, 'attempt', namespace).addCapabilities('NET_ADMIN', 'NET_RAW').build(), context, { script: 'iptables-flush-probe.sh', env: { FLUSH_TABLES: 'nat mangle' } }),
    controlIn: (context, id) => sinkControl(context, id, 'http'),
    expectPrivileged: (stack) => {
      if (cniEnforces(stack)) return cniDrop(TAG, 'documented', labNote(stack, 'D to the world'));
      return allowed(`${TAG}; world A`, 'documented', labNote(stack));
    },
  },
  SCENE.namespaces.privileged,
);
