import { definePrivilegedPair } from '../define-attack.ts';
import { allowed, cniDrop, cniEnforces, labNote } from '../expectation-builders.ts';
import { sinkHttpPlan } from '../plans.ts';
import { sinkControl } from '../controls.ts';
import { REF } from '../references.ts';
import { intruder } from '../attackers.ts';
import { SCENE } from '../../../manifests/scene.ts';

const TAG = `with NET_ADMIN the application can remove the redirection rules; traffic capture is not a security boundary — ${REF.istioSecurityBestPractices.cite}`;

/** SC2 / SC2-priv: with NET_ADMIN the app flushes the nat table (both iptables backends), then calls the sink. */
export const [SC2, SC2_PRIV] = definePrivilegedPair(
  {
    id: 'SC2',
    family: 'sidecar-bypass',
    title: 'Flush the capture rules with NET_ADMIN',
    technique: 'intruder with NET_ADMIN,NET_RAW runs `iptables -t nat -F` with iptables-nft and iptables-legacy, then sends HTTP with the canary to the sink.',
    preconditions: ['the pod may add NET_ADMIN and NET_RAW'],
    references: [REF.istioSecurityBestPractices, REF.networkPolicy],
    success: 'sink-canary',
    source: TAG,
    baselineNamespace: SCENE.namespaces.app,
    attemptIn: (context, namespace, id) =>
      sinkHttpPlan(intruder(context, id, 'attempt', namespace).addCapabilities('NET_ADMIN', 'NET_RAW').build(), context, { script: 'iptables-flush-probe.sh', env: { FLUSH_TABLES: 'nat' } }),
    controlIn: (context, id) => sinkControl(context, id, 'http'),
    expectPrivileged: (stack) => {
      if (cniEnforces(stack)) return cniDrop(TAG, 'documented', labNote(stack));
      if (stack.mesh === 'istio-ambient') return allowed(`${TAG}; ambient: see AM4 (the nat rules carry the redirection)`, 'inferred', labNote(stack));
      return allowed(TAG, 'documented', labNote(stack));
    },
  },
  SCENE.namespaces.privileged,
);
