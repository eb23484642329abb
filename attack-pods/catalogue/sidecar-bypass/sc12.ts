import { defineAttack } from '../define-attack.ts';
import { allowed, ambientEnforces, blocked, labNote, sidecarEnforces } from '../expectation-builders.ts';
import { apiServiceHttpPlan } from '../plans.ts';
import { apiServiceControl } from '../controls.ts';
import { REF } from '../references.ts';
import { frontendImpostor } from '../attackers.ts';
import { SCENE } from '../../../manifests/scene.ts';

const ID = 'SC12';
const TAG = `AuthorizationPolicy hosts were compared case-sensitively while routing ignores case (CVE-2021-39155); fixed releases match hosts ignoring case, and the pinned Istio 1.31 builds every hosts pattern with ignore_case — ${REF.cve202139155.cite}; ${REF.istioHostMatcher.cite}; ${REF.authorizationPolicy.cite}`;
/** The bulletin's "Httpbin.Foo": the short name api's DENY refuses (SHORT_API_HOSTS), in upper case. */
export const SC12_HOST = `${SCENE.workloads.api.name}.${SCENE.namespaces.app}:${SCENE.workloads.api.port}`.toUpperCase();

/** Family: sidecar-bypass — the technique aims at the proxy's L7 authorization, as SC10 does. */
export const SC12 = defineAttack({
  id: ID,
  family: 'sidecar-bypass',
  title: 'Host header in upper case against a DENY on hosts',
  technique: `A pod with frontend's identity sends api's Service GET /api/ping (allowed) with Host: ${SC12_HOST}, the upper-case form of the api.bm-app host that api's DENY refuses.`,
  preconditions: ["the attacker holds frontend's identity (a compromised frontend)", 'api has ALLOW GET /api/* for frontend and DENY hosts api.bm-app, api.bm-app:*'],
  references: [REF.cve202139155, REF.istioHostMatcher, REF.authorizationPolicy],
  success: 'client-signal',
  source: TAG,
  attempt: (context) => {
    // The canary in the query: path rules ignore it, the proxy's access log shows it (the record is this attempt's).
    const request = apiServiceHttpPlan(frontendImpostor(context, ID, 'attempt').build(), context, `/api/ping?bm=${context.canary}`);
    return { ...request, env: { ...request.env, HOST_HEADER: SC12_HOST } };
  },
  // Same destination, same client, the canonical Host: the ALLOW admits it, so a 403 is the DENY on hosts.
  control: (context) => apiServiceControl(context, ID),
  expect: (stack) => {
    if (sidecarEnforces(stack)) {
      return blocked('mesh-sidecar', 'http-403', `${TAG}: the DENY matches ${SC12_HOST} at the destination sidecar`, stack.isLab ? 'inferred' : 'documented', labNote(stack, 'the lab sidecar matches hosts ignoring case, as the fixed Istio does'));
    }
    if (ambientEnforces(stack)) return blocked('mesh-waypoint', 'http-403', `${TAG}: the DENY is bound to api's waypoint, which matches ${SC12_HOST}`, 'inferred');
    return allowed(`${TAG}; no L7 policy on this stack: nothing reads the Host header`, 'documented', labNote(stack, 'the CNI allows frontend → api:8080'));
  },
});
