import { defineAttack } from '../define-attack.ts';
import { allowed, hardenedAdmission, labNote } from '../expectation-builders.ts';
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
  expect: (stack) => {
    if (hardenedAdmission(stack)) {
      // The hardened policy pairs each workload's service account with its app label; the impostor claims both, so
      // its pod is indistinguishable from frontend's by content. Only the requester (RBAC on who may create pods in
      // bm-app, or a policy on request.userInfo) tells them apart — not part of the scene. The finding stands.
      return allowed(
        `${TAG}; the hardened set's ValidatingAdmissionPolicy refuses a workload's account with another app label, not a pod claiming both — ${REF.validatingAdmissionPolicy.cite}`,
        'inferred',
        labNote(stack, 'hardened admission cannot tell a pod claiming frontend\'s account AND label from frontend'),
      );
    }
    return allowed(TAG, 'inferred', labNote(stack, 'every layer checks a label or a service account the pod chose itself'));
  },
});
