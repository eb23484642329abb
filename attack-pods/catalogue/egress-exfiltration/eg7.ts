import { defineAttack } from '../define-attack.ts';
import { allowed, blocked, cniDrop, cniEnforces, labNote, sidecarEnforces } from '../expectation-builders.ts';
import { plan } from '../plans.ts';
import { metadataControl } from '../controls.ts';
import { REF } from '../references.ts';
import { intruder } from '../attackers.ts';

const ID = 'EG7';
const TAG = `the link-local metadata address is an ordinary egress destination — ${REF.networkPolicy.cite}; ${REF.egressControl.cite}`;

export const EG7 = defineAttack({
  id: ID,
  family: 'egress-exfiltration',
  title: 'Reach the cloud metadata endpoint (169.254.169.254)',
  technique: 'intruder sends GET /latest/meta-data/?c=<canary> to the emulated metadata endpoint.',
  preconditions: [],
  references: [REF.networkPolicy, REF.egressControl],
  success: 'sink-canary',
  source: TAG,
  attempt: (context) => {
    const { metadata } = context.addresses;
    return plan({
      pod: intruder(context, ID, 'attempt').build(),
      script: 'http-probe.sh',
      canary: context.canary,
      env: { TARGET_URL: `http://${metadata.ip}:${metadata.port}/latest/meta-data/?c=${context.canary}` },
      flow: { protocol: 'http', destinationIp: metadata.ip, destinationPort: metadata.port },
    });
  },
  control: (context) => metadataControl(context, ID),
  expect: (stack) => {
    // Sidecar mode lets it out (A) under ALLOW_ANY; the scene sets REGISTRY_ONLY and the
    // address is not excluded from capture, so the sidecar's blackhole should answer first.
    if (sidecarEnforces(stack)) return blocked('mesh-sidecar', undefined, `${TAG}; REGISTRY_ONLY blackhole (scene) vs A under ALLOW_ANY`, 'inferred', labNote(stack));
    if (cniEnforces(stack)) return cniDrop(TAG, 'documented', labNote(stack));
    return allowed(TAG, 'documented', labNote(stack));
  },
});
