import { defineAttack } from '../define-attack.ts';
import { allowed, hardenedAdmission, hardenedAdmissionDeny, labNote } from '../expectation-builders.ts';
import { apiServiceHttpPlan } from '../plans.ts';
import { apiServiceControl } from '../controls.ts';
import { REF } from '../references.ts';
import { frontendImpostor } from '../attackers.ts';

const ID = 'LM2';
const TAG = `a pod may claim any service account or label of its namespace; only admission or RBAC stops identity claims — ${REF.serviceAccounts.cite}; ${REF.rbac.cite}; ${REF.authorizationPolicy.cite}`;

export const LM2 = defineAttack({
  id: ID,
  family: 'mtls-identity',
  title: "Claim frontend's identity: serviceAccountName frontend and label app=frontend",
  technique:
    'A user who may only create pods in bm-app (the scene\'s pod creator, not frontend\'s deployer) creates a pod with `serviceAccountName: frontend` and `app=frontend` that calls GET api:8080/api/ping: NetworkPolicy trusts the label, the mesh the service account.',
  preconditions: ['the attacker may create pods in bm-app', 'nothing restricts which service account a pod names'],
  references: [REF.serviceAccounts, REF.authorizationPolicy, REF.networkPolicy, REF.rbac],
  success: 'client-signal',
  source: TAG,
  // The pod creator asks for it: by content the impostor is frontend (same account, same label); only who asks differs.
  attempt: (context) => ({ ...apiServiceHttpPlan(frontendImpostor(context, ID, 'attempt').build(), context, '/api/ping'), requester: 'pod-creator' }),
  // frontend itself (a pod with its identity, created by its deployer) on the same path: if that fails, api is down.
  control: (context) => apiServiceControl(context, ID),
  expect: (stack) => {
    // The hardened set's second policy checks request.userInfo: frontend's account is its deployer's to use.
    if (hardenedAdmission(stack)) return hardenedAdmissionDeny('workloadDeployer', TAG, stack);
    return allowed(TAG, 'inferred', labNote(stack, 'every layer checks a label or a service account the pod chose itself; RBAC lets any pod creator of bm-app name any of its service accounts'));
  },
});
