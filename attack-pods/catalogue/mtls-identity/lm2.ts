import { defineAttack } from '../define-attack.ts';
import { allowed, labNote } from '../expectation-builders.ts';
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
  technique: 'A new pod in bm-app with `serviceAccountName: frontend` and `app=frontend` calls GET api:8080/api/ping: NetworkPolicy trusts the label, the mesh the service account.',
  preconditions: ['the attacker may create pods in bm-app', 'nothing restricts which service account a pod names'],
  references: [REF.serviceAccounts, REF.authorizationPolicy, REF.networkPolicy, REF.rbac],
  success: 'client-signal',
  source: TAG,
  attempt: (context) =>
    apiServiceHttpPlan(frontendImpostor(context, ID, 'attempt').build(), context, '/api/ping'),
  // frontend itself (a pod with its identity) on the same path: if that fails, api is down, not the claim refused.
  control: (context) => apiServiceControl(context, ID),
  expect: (stack) => allowed(TAG, 'inferred', labNote(stack, 'every layer checks a label or a service account the pod chose itself')),
});
