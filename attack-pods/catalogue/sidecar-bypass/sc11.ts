import { defineAttack } from '../define-attack.ts';
import { allowed, ambientEnforces, labNote, sidecarEnforces } from '../expectation-builders.ts';
import { apiPathTricksPlan } from '../plans.ts';
import { apiServiceControl } from '../controls.ts';
import { REF } from '../references.ts';
import { frontendImpostor } from '../attackers.ts';
import type { Expectation } from '../../../core/domain/attack.ts';
import type { StackTraits } from '../../../core/domain/profile.ts';
import { pathTrickExpectation } from './path-trick-expectation.ts';

const ID = 'SC11';
const TAG = `escaped and raw backslashes against the DENY on /admin: Istio decodes %5C only under DECODE_AND_MERGE_SLASHES and turns \\ into / from BASE on — ${REF.istioPathNormalization.cite}; ${REF.cve202131920.cite}; ${REF.authorizationPolicy.cite}`;
/**
 * The backslash class SC10 leaves out. All start inside the allowed `/api/*` prefix, so only the DENY on /admin can
 * stop them. `..%5C` hides a parent step from every mode but DECODE_AND_MERGE_SLASHES, and the workload receives
 * it undecoded: a backend that reads `\` as a separator (Windows-style routing, some frameworks) resolves
 * `/api/..\admin` to /admin, past the mesh's DENY. The raw `\` is converted from BASE on, so it only passes NONE.
 */
export const SC11_PATHS = ['/api/..%5Cadmin', '/api/..%5cadmin', '/api\\..\\admin'] as const;

function passingVariant(stack: StackTraits): string | undefined {
  switch (stack.pathNormalization) {
    case 'NONE':
      return '/api/..%5Cadmin and /api\\..\\admin (no normalisation: they match /api/* and not /admin)';
    case 'BASE':
    case 'MERGE_SLASHES':
      return '/api/..%5Cadmin (%5C is not decoded, so it matches /api/* and reaches api undecoded)';
    case 'DECODE_AND_MERGE_SLASHES':
      return undefined;
  }
}

function l7Expectation(stack: StackTraits, layer: 'mesh-sidecar' | 'mesh-waypoint'): Expectation {
  return pathTrickExpectation(stack, layer, passingVariant(stack), {
    blocked: (where) => `${TAG}: %5C decodes to \\, then / — every variant normalises to /admin, 403 at ${where}`,
    allowed: (passing, where) => `${TAG}: under ${stack.pathNormalization} ${passing}; reaches api through ${where}`,
  });
}

/** Family: sidecar-bypass — like SC10, the technique defeats the proxy's L7 authorization. */
export const SC11 = defineAttack({
  id: ID,
  family: 'sidecar-bypass',
  title: 'Backslash tricks (%5C, \\) against the DENY on /admin',
  technique: `A pod with frontend's identity sends raw request targets ${SC11_PATHS.join(' ')} to api; each variant is reported, and a 2xx shows the target exactly as api received it.`,
  preconditions: ["the attacker holds frontend's identity (a compromised frontend)", 'api has ALLOW GET /api/* for frontend and DENY /admin'],
  references: [REF.istioPathNormalization, REF.cve202131920, REF.authorizationPolicy],
  success: 'client-signal',
  source: TAG,
  attempt: (context) => apiPathTricksPlan(frontendImpostor(context, ID, 'attempt').build(), context, SC11_PATHS),
  // Same destination from the same client, a path the policy allows: a 403 is then the /admin rule.
  control: (context) => apiServiceControl(context, ID),
  expect: (stack) => {
    if (sidecarEnforces(stack)) return l7Expectation(stack, 'mesh-sidecar');
    if (ambientEnforces(stack)) return l7Expectation(stack, 'mesh-waypoint');
    return allowed(`${TAG}; no L7 policy on this stack (the layered set has no Cilium L7 HTTP rule)`, 'documented', labNote(stack, 'the CNI allows frontend → api:8080; the workload answers every path'));
  },
});
