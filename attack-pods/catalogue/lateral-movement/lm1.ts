import { defineAttack } from '../define-attack.ts';
import { allowed, ambientEnforces, blocked, cniDrop, cniEnforces, labNote, sidecarEnforces } from '../expectation-builders.ts';
import { plan, serviceHost } from '../plans.ts';
import { tcpSameSource } from '../controls.ts';
import { REF } from '../references.ts';
import { rogue } from '../attackers.ts';
import { SCENE } from '../../../manifests/scene.ts';

const ID = 'LM1';
const TAG = `default-deny NetworkPolicy drops it; STRICT mTLS refuses plaintext; AuthorizationPolicy admits only api — ${REF.networkPolicy.cite}; ${REF.peerAuthentication.cite}; ${REF.authorizationPolicy.cite}`;

export const LM1 = defineAttack({
  id: ID,
  family: 'lateral-movement',
  title: 'Rogue pod connects straight to the database',
  technique: 'rogue opens a plaintext TCP connection to db:5432 and sends the canary as a line; db echoes when reached.',
  preconditions: [],
  references: [REF.networkPolicy, REF.peerAuthentication, REF.authorizationPolicy],
  success: 'client-signal',
  source: TAG,
  attempt: (context) =>
    plan({
      pod: rogue(context, ID, 'attempt').build(),
      script: 'tcp-probe.sh',
      canary: context.canary,
      env: { TARGET_HOST: serviceHost('db'), TARGET_PORT: String(SCENE.workloads.db.port) },
      flow: { protocol: 'tcp', destinationName: serviceHost('db'), destinationPort: SCENE.workloads.db.port },
    }),
  // Same source over TCP. db's only permitted client is api (`app=api`, service account api): an impostor would
  // join api's Service endpoints and disturb other attacks, so the control is rogue's own TCP egress.
  control: (context) => tcpSameSource(context, rogue(context, ID, 'control')),
  expect: (stack) => {
    if (cniEnforces(stack)) return cniDrop(TAG, 'documented', labNote(stack));
    if (sidecarEnforces(stack)) return blocked('mesh-sidecar', 'reset', TAG, 'documented', labNote(stack, 'the proxy accepts, finds no plaintext filter chain and closes'));
    if (ambientEnforces(stack)) return blocked('mesh-ztunnel', 'reset', TAG, 'documented', labNote(stack));
    return allowed(TAG, 'documented', labNote(stack));
  },
});
