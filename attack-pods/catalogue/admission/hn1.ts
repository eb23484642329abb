import type { V1Pod } from '@kubernetes/client-node';
import type { AttemptContext } from '../../../core/domain/attack.ts';
import { defineAttack } from '../define-attack.ts';
import { blocked } from '../expectation-builders.ts';
import { CONTROL_DNS_NAME, plan, withHostNetworkDns } from '../plans.ts';
import { sameSource } from '../controls.ts';
import { REF } from '../references.ts';
import { rogue } from '../attackers.ts';
import { SCENE } from '../../../manifests/scene.ts';

const ID = 'HN1';
const TAG = `Pod Security baseline forbids hostNetwork, hostPID, privileged and hostPort — ${REF.podSecurityStandards.cite}`;

/** A hostPort derived from the canary so concurrent runs do not fight over one port. */
function hostPortFor(canary: string): number {
  return 40_000 + (Number.parseInt(canary.slice(-4), 16) || 0) % 20_000;
}

/** Everything baseline forbids at once: hostNetwork, hostPID, privileged, a hostPort. */
function forbiddenPod(context: AttemptContext, namespace: string, role: 'attempt' | 'control'): V1Pod {
  const built = rogue(context, ID, role, namespace).hostNetwork().hostPid().privileged().build();
  const containers = (built.spec?.containers ?? []).map((container) => ({
    ...container,
    ports: [{ containerPort: hostPortFor(context.canary), hostPort: hostPortFor(context.canary) }],
  }));
  return withHostNetworkDns({ ...built, spec: { ...built.spec, containers } });
}

/** Family admission: the only question is whether the pod may exist. */
export const HN1 = defineAttack({
  id: ID,
  family: 'admission',
  title: 'Create a pod with hostNetwork, hostPID, privileged and a hostPort',
  technique: 'rogue submits one pod spec with every host-level privilege baseline forbids; if admitted it would resolve a scene name.',
  preconditions: ['bm-rogue enforces Pod Security baseline'],
  references: [REF.podSecurityStandards],
  success: 'client-signal',
  source: TAG,
  attempt: (context) =>
    plan({
      pod: forbiddenPod(context, SCENE.namespaces.rogue, 'attempt'),
      script: 'dns-lookup.sh',
      canary: context.canary,
      env: { QUERY_NAME: CONTROL_DNS_NAME },
      flow: { protocol: 'dns', destinationName: CONTROL_DNS_NAME, destinationPort: 53 },
    }),
  // The same spec where nothing is enforced (bm-privileged): it is admitted and runs, so the refusal is PSA's.
  control: (context) =>
    sameSource(
      plan({
      pod: forbiddenPod(context, SCENE.namespaces.privileged, 'control'),
      script: 'dns-lookup.sh',
      canary: context.canary,
      env: { QUERY_NAME: CONTROL_DNS_NAME },
      flow: { protocol: 'dns', destinationName: CONTROL_DNS_NAME, destinationPort: 53 },
      }),
      // The namespace is the technique: bm-rogue enforces baseline, bm-privileged does not.
      ['metadata.namespace'],
    ),
  expect: () => blocked('admission', 'admission-denied', TAG, 'documented'),
});
