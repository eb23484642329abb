import { definePrivilegedPair } from '../define-attack.ts';
import { allowed, labNote } from '../expectation-builders.ts';
import { sinkHttpPlan } from '../plans.ts';
import { sinkControl } from '../controls.ts';
import { REF } from '../references.ts';
import { rogue } from '../attackers.ts';
import { SCENE } from '../../../manifests/scene.ts';

const TAG = `a privileged hostPID pod enters the node's network namespace; only admission stops it — ${REF.podSecurityStandards.cite}`;

const NODE_TRAFFIC = "the node's own traffic is not subject to pod NetworkPolicy or the mesh";

/** HN4 / HN4-priv: privileged + hostPID, nsenter into PID 1's network namespace, then call the sink. */
export const [HN4, HN4_PRIV] = definePrivilegedPair(
  {
    id: 'HN4',
    family: 'host-network',
    title: "Escape to the node's network namespace with nsenter",
    technique: "A privileged hostPID pod runs `nsenter -t 1 -n` and sends HTTP with the canary to the sink from the node's network namespace, where no pod policy applies.",
    preconditions: ['the pod may be privileged with hostPID'],
    references: [REF.networkPolicy],
    success: 'sink-canary',
    source: TAG,
    baselineNamespace: SCENE.namespaces.rogue,
    attemptIn: (context, namespace, id) =>
      sinkHttpPlan(rogue(context, id, 'attempt', namespace).privileged().hostPid().build(), context, { script: 'nsenter-escape.sh' }),
    controlIn: (context, id) => sinkControl(context, id, 'http'),
    // On the lab a hostPID pod joins its lab node's PID namespace (clusters/lab/pod-sandbox.ts): PID 1 is the node's,
    // so nsenter lands in the lab node's network namespace, never the host's.
    expectPrivileged: (stack) =>
      allowed(
        `${TAG}; ADM else A; NetworkPolicy selects pods, not the node — ${REF.networkPolicy.cite}`,
        'documented',
        labNote(
          stack,
          stack.isLab
            ? `${NODE_TRAFFIC}: the lab's NetworkPolicy rules hook only the node's forward and input paths, never its own output, and no sidecar or ztunnel captures the node's sockets`
            : NODE_TRAFFIC,
        ),
      ),
  },
  SCENE.namespaces.privileged,
);
