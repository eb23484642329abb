import { defineAttack } from '../define-attack.ts';
import { blocked, cniDrop, cniEnforces } from '../expectation-builders.ts';
import { apiServerTokenPlan } from '../plans.ts';
import { apiServerVersionControl } from '../controls.ts';
import { REF } from '../references.ts';
import { intruder } from '../attackers.ts';
import { SCENE } from '../../../manifests/scene.ts';

const ID = 'LM4';
const TAG = `RBAC refuses the token's request; the API server is reachable unless egress policy forbids it — ${REF.rbac.cite}; ${REF.serviceAccounts.cite}; ${REF.networkPolicy.cite}`;
const SECRETS_PATH = `/api/v1/namespaces/${SCENE.namespaces.app}/secrets`;

/** Success means reading the secrets (HTTP 200); reaching the API and getting RBAC's 403 is a block by `api`. */
export const LM4 = defineAttack({
  id: ID,
  family: 'lateral-movement',
  title: "Use the pod's service-account token against the API server",
  technique: `intruder reads its mounted token and sends GET ${SECRETS_PATH} to the API server with it.`,
  preconditions: ['the token is automounted', 'the intruder service account has no RBAC grant on secrets'],
  references: [REF.rbac, REF.serviceAccounts, REF.ciliumPolicyLanguage, REF.networkPolicy],
  success: 'client-signal',
  source: TAG,
  notApplicable: (stack) => (stack.isLab ? 'the lab has no API server' : undefined),
  attempt: (context) => apiServerTokenPlan(intruder(context, ID, 'attempt').build(), context, { path: SECRETS_PATH }),
  control: (context) => apiServerVersionControl(context, ID, LM4.attempt(context)),
  expect: (stack) => {
    if (cniEnforces(stack)) return cniDrop(`${TAG}; Cilium denies kube-apiserver unless toEntities allows it`, 'documented');
    return blocked('api', 'http-403', `${TAG}; RBAC: no grant on secrets`, 'documented', stack.mesh === 'none' ? undefined : 'the mesh lets the call reach the API (A for reach); RBAC answers 403');
  },
});
