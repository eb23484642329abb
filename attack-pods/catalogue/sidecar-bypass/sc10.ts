import { defineAttack } from '../define-attack.ts';
import { allowed, ambientEnforces, blocked, labNote, sidecarEnforces } from '../expectation-builders.ts';
import { plan, serviceHost } from '../plans.ts';
import { sameDestination } from '../controls.ts';
import { REF } from '../references.ts';
import { frontendImpostor } from '../attackers.ts';
import { SCENE } from '../../../manifests/scene.ts';

const ID = 'SC10';
const TAG = 'ATTACKS.md SC10 [D: CVE-2021-31920, CVE-2021-39156 regressions; 403 on patched versions]';
const API_URL = `http://${serviceHost('api')}:${SCENE.workloads.api.port}`;
/**
 * ATTACKS.md's variants, plus two that walk out of the allowed `/api/*` prefix: the scene's ALLOW on `/api/*`
 * already refuses `//admin` & co. whatever the normalisation, so only the `..` forms really test the DENY on /admin.
 */
export const SC10_PATHS = ['//admin', '/%2Fadmin', '/admin#x', '/ADMIN', '/api/../admin', '/api/%2e%2e/admin'] as const;

/**
 * Family: sidecar-bypass — the technique defeats the proxy's L7 authorization (sidecar or waypoint), not an
 * identity or mTLS check, so it sits with the other ways around the proxy.
 */
export const SC10 = defineAttack({
  id: ID,
  family: 'sidecar-bypass',
  title: 'Path tricks against the DENY on /admin',
  technique: `A pod with frontend's identity (the only allowed principal) sends raw request targets ${SC10_PATHS.join(' ')} to api; each variant is reported.`,
  preconditions: ["the attacker holds frontend's identity (a compromised frontend)", 'api has ALLOW GET /api/* for frontend and DENY /admin'],
  references: [REF.cve202131920, REF.cve202139156, REF.authorizationPolicy],
  success: 'client-signal',
  source: TAG,
  notApplicable: (stack) =>
    stack.isLab && stack.mesh === 'istio-ambient' ? "the lab models ztunnel's L4 only: it has no waypoint to hold the L7 rule" : undefined,
  attempt: (context) =>
    plan({
      pod: frontendImpostor(context, ID, 'attempt').build(),
      script: 'path-tricks.sh',
      canary: context.canary,
      env: { TARGET_BASE: API_URL, PATHS: SC10_PATHS.join(' ') },
      flow: { protocol: 'http', destinationName: serviceHost('api'), destinationPort: SCENE.workloads.api.port },
    }),
  // Same pod, a path the policy allows: frontend → api works, so a 403 is the /admin rule.
  control: (context) =>
    sameDestination(plan({
      pod: frontendImpostor(context, ID, 'control').build(),
      script: 'http-probe.sh',
      canary: context.canary,
      env: { TARGET_URL: `${API_URL}/api/ping` },
      flow: { protocol: 'http', destinationName: serviceHost('api'), destinationPort: SCENE.workloads.api.port },
    })),
  expect: (stack) => {
    if (sidecarEnforces(stack)) return blocked('mesh-sidecar', 'http-403', TAG, stack.isLab ? 'inferred' : 'version-dependent', labNote(stack, 'the lab proxy normalises like patched Envoy (merge slashes, decode %2F, strip fragment)'));
    if (ambientEnforces(stack)) return blocked('mesh-waypoint', 'http-403', `${TAG}; ambient: 403 at the waypoint`, 'version-dependent');
    return allowed(`${TAG}; no L7 policy on this stack (the layered set has no Cilium L7 HTTP rule)`, 'documented', labNote(stack, 'the CNI allows frontend → api:8080; the workload answers every path'));
  },
});
