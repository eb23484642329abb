import { definePrivilegedPair } from '../define-attack.ts';
import { allowed } from '../expectation-builders.ts';
import { sinkHttpPlan } from '../plans.ts';
import { sinkControl } from '../controls.ts';
import { REF } from '../references.ts';
import { rogue } from '../attackers.ts';
import { SCENE } from '../../../manifests/scene.ts';

const TAG = `a privileged hostPID pod enters the node's network namespace; only admission stops it — ${REF.podSecurityStandards.cite}`;

/** HN4 / HN4-priv: privileged + hostPID, nsenter into PID 1's network namespace, then call the sink. */
export const [HN4, HN4_PRIV] = definePrivilegedPair(
  {
    id: 'HN4',
    family: 'host-network',
    title: "Escape to the node's network namespace with nsenter",
    technique: "A privileged hostPID pod runs `nsenter -t 1 -n` and sends HTTP with the canary to the sink from the node's network namespace, where no pod policy applies.",
    preconditions: ['the pod may be privileged with hostPID'],
    references: [REF.podSecurityStandards],
    success: 'sink-canary',
    source: TAG,
    notApplicable: (stack) =>
      stack.isLab ? "the lab has no PID namespaces: PID 1 is the machine's init, so nsenter would leave the lab for the real network" : undefined,
    baselineNamespace: SCENE.namespaces.rogue,
    attemptIn: (context, namespace, id) =>
      sinkHttpPlan(rogue(context, id, 'attempt', namespace).privileged().hostPid().build(), context, { script: 'nsenter-escape.sh' }),
    controlIn: (context, id) => sinkControl(context, id, 'http'),
    expectPrivileged: () => allowed(`${TAG}; ADM else A`, 'documented', "the node's own traffic is not subject to pod NetworkPolicy or the mesh"),
  },
  SCENE.namespaces.privileged,
);
