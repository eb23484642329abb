import { defineAttack } from '../define-attack.ts';
import { allowed, ambientEnforces, blocked, cniDrop, cniEnforces, labNote, sidecarEnforces } from '../expectation-builders.ts';
import { apiServiceHttpPlan } from '../plans.ts';
import { apiServiceControl } from '../controls.ts';
import { REF } from '../references.ts';
import { rogue } from '../attackers.ts';

const ID = 'SC8';
const TAG = `PeerAuthentication STRICT refuses plaintext; AuthorizationPolicy admits only listed principals — ${REF.peerAuthentication.cite}; ${REF.authorizationPolicy.cite}`;

export const SC8 = defineAttack({
  id: ID,
  family: 'mtls-identity',
  title: 'Plaintext from outside the mesh into a STRICT workload',
  technique: 'rogue (bm-rogue, no proxy) sends plaintext HTTP GET /api/ping to api:8080.',
  preconditions: [],
  references: [REF.peerAuthentication, REF.authorizationPolicy, REF.networkPolicy],
  success: 'client-signal',
  source: TAG,
  attempt: (context) => apiServiceHttpPlan(rogue(context, ID, 'attempt').build(), context, '/api/ping'),
  // The same path from the permitted client: frontend's identity in bm-app reaches api.
  control: (context) => apiServiceControl(context, ID),
  expect: (stack) => {
    if (cniEnforces(stack)) return cniDrop(TAG, 'documented', labNote(stack, 'rogue egress and api ingress are default-deny'));
    if (sidecarEnforces(stack)) return blocked('mesh-sidecar', 'reset', `${TAG}; sidecar STRICT: R (filter_chain_not_found)`, 'documented', labNote(stack));
    if (ambientEnforces(stack)) return blocked('mesh-ztunnel', 'reset', `${TAG}; ambient STRICT: Z`, 'documented', labNote(stack));
    return allowed(`${TAG}; no mTLS requirement on this stack`, 'documented', labNote(stack));
  },
});
