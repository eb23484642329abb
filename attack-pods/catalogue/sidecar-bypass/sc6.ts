import { defineAttack } from '../define-attack.ts';
import { allowed, labNote } from '../expectation-builders.ts';
import { plan } from '../plans.ts';
import { sameSource } from '../controls.ts';
import { REF } from '../references.ts';
import { intruder } from '../attackers.ts';
import { SCENE } from '../../../manifests/scene.ts';

const ID = 'SC6';
const TAG = `no trust boundary inside the pod: the Envoy admin port 15000 listens on localhost — ${REF.istioAppRequirements.cite}; ${REF.istioSecurityBestPractices.cite}`;
const ADMIN_URL = `http://127.0.0.1:${SCENE.envoy.admin}`;

export const SC6 = defineAttack({
  id: ID,
  family: 'sidecar-bypass',
  title: "Use the sidecar's admin port from the app container",
  technique: 'From the intruder container: GET localhost:15000/config_dump (certificates, clusters, policy), then POST /quitquitquit to stop the proxy.',
  preconditions: ['the pod has an Envoy sidecar'],
  references: [REF.istioSecurityBestPractices, REF.istioAppRequirements],
  success: 'client-signal',
  source: TAG,
  notApplicable: (stack) => (stack.mesh === 'istio-sidecar' ? undefined : 'no sidecar proxy in the pod: nothing listens on localhost:15000'),
  attempt: (context) =>
    plan({
      pod: intruder(context, ID, 'attempt').build(),
      script: 'envoy-admin.sh',
      canary: context.canary,
      env: { ADMIN_URL, QUIT: '1' },
      flow: { protocol: 'http', destinationIp: '127.0.0.1', destinationPort: SCENE.envoy.admin },
    }),
  // The same pod reads the proxy's readiness endpoint (15021, meant to be reachable): the sidecar is there and up.
  control: (context) =>
    sameSource(plan({
      pod: intruder(context, ID, 'control').build(),
      script: 'http-probe.sh',
      canary: context.canary,
      env: { TARGET_URL: `http://127.0.0.1:${SCENE.envoy.health}/healthz/ready` },
      flow: { protocol: 'http', destinationIp: '127.0.0.1', destinationPort: SCENE.envoy.health },
    })),
  expect: (stack) => allowed(TAG, 'documented', labNote(stack, 'loopback traffic: neither the CNI nor policies see it')),
});
