import { defineAttack } from '../define-attack.ts';
import { allowed, ambientEnforces, blocked, cniDrop, cniEnforces, labNote } from '../expectation-builders.ts';
import { apiServiceHttpPlan } from '../plans.ts';
import { apiServiceControl } from '../controls.ts';
import { REF } from '../references.ts';
import { rogue } from '../attackers.ts';

const ID = 'AM2';
const TAG = `traffic that does not go through the waypoint skips its L7 rule; STRICT mTLS is still enforced by ztunnel — ${REF.ambientDataPlane.cite}; ${REF.peerAuthentication.cite}`;

export const AM2 = defineAttack({
  id: ID,
  family: 'ambient-bypass',
  title: 'Out-of-mesh client to a destination behind a waypoint',
  technique: 'rogue (not in the mesh) sends plaintext GET /admin to the api Service; its traffic never enters the waypoint, so only ztunnel at api can stop it.',
  preconditions: [],
  references: [REF.ambientDataPlane, REF.ambientWaypoint, REF.peerAuthentication, REF.networkPolicy],
  success: 'client-signal',
  source: TAG,
  notApplicable: (stack) => (stack.mesh === 'istio-ambient' ? undefined : 'the waypoint/ztunnel split exists only in ambient mode'),
  attempt: (context) =>
    apiServiceHttpPlan(rogue(context, ID, 'attempt').build(), context, '/admin'),
  control: (context) => apiServiceControl(context, ID),
  expect: (stack) => {
    if (cniEnforces(stack)) return cniDrop(TAG, 'documented', labNote(stack));
    if (ambientEnforces(stack)) {
      const lab = stack.isLab
        ? "rogue addresses api's Service VIP (the lab's kube-proxy stand-in DNATs it): a mesh client's request would go through the waypoint, rogue's never does, and api's ztunnel refuses its plaintext"
        : undefined;
      return blocked('mesh-ztunnel', 'reset', TAG, stack.isLab ? 'inferred' : 'documented', labNote(stack, lab));
    }
    return allowed(`${TAG}; no mesh policies applied`, 'documented', labNote(stack));
  },
});
