import type { V1Pod } from '@kubernetes/client-node';
import { pod } from '../../manifests/pod-builder.ts';
import { HARDENED_ADMISSION } from '../../manifests/policies/hardened-admission-policies.ts';
import { intruderPod } from '../../manifests/scene/attacker-pods.ts';
import { SCENE } from '../../manifests/scene.ts';
import type { Cluster, KubeObject, PodRequester } from '../domain/cluster.ts';
import type { SceneCheck } from '../domain/scene-self-test.ts';
import { parseAdmissionPolicyRejection } from '../evidence/admission-message.ts';
import { pollUntilDenied, type ConvergenceOptions } from './convergence-barrier.ts';
import { TIMEOUTS } from '../timeouts.ts';

/**
 * Admission policies take effect when the API server's policy informer has them, not when `apply` returns: until
 * then a pod the policy refuses is admitted, and an attack cell would read "allowed" for a policy that was not yet
 * there. So after the policies, each applied hardened ValidatingAdmissionPolicy must refuse a pod it exists to
 * refuse, by its own name, before any attack runs.
 */
interface AdmissionProbe {
  readonly policy: string;
  readonly name: string;
  readonly requester: PodRequester;
  readonly pod: (name: string) => V1Pod;
}

const PROBES: readonly AdmissionProbe[] = [
  {
    policy: HARDENED_ADMISSION.policy,
    name: `runAsUser ${SCENE.proxyUid} in ${SCENE.namespaces.app}`,
    requester: 'harness',
    pod: (name) => intruderPod({ name }).runAsUser(SCENE.proxyUid).build(),
  },
  {
    policy: HARDENED_ADMISSION.deployerPolicy,
    name: `frontend's service account from the pod creator in ${SCENE.namespaces.app}`,
    requester: 'pod-creator',
    pod: (name) => pod(name, SCENE.namespaces.app).serviceAccountName(SCENE.workloads.frontend.serviceAccount).label(SCENE.appLabel, SCENE.workloads.frontend.name).build(),
  },
];

/** The probes for the hardened policies among `applied` (none when no such policy is applied). */
function probesFor(applied: readonly KubeObject[]): readonly AdmissionProbe[] {
  const names = new Set(applied.filter((object) => object.kind === 'ValidatingAdmissionPolicy').map((object) => object.metadata.name));
  return PROBES.filter((probe) => names.has(probe.policy));
}

export interface AdmissionCheckInput {
  readonly cluster: Cluster;
  readonly applied: readonly KubeObject[];
  readonly podReadyMs: number;
  /** A fresh suffix per probe pod. */
  readonly tail: () => string;
  readonly convergence?: Pick<ConvergenceOptions, 'timeoutMs' | 'intervalMs'>;
  readonly signal?: AbortSignal;
  readonly onProgress?: (line: string) => void;
}

/** One row per applied hardened policy: refused by that policy, polled until it is (bounded by TIMEOUTS.convergenceMs). */
export async function admissionPolicyChecks(input: AdmissionCheckInput): Promise<SceneCheck[]> {
  return Promise.all(
    probesFor(input.applied).map(async (probe): Promise<SceneCheck> => {
      const timeoutMs = input.convergence?.timeoutMs ?? TIMEOUTS.convergenceMs;
      const expected = `refused by ValidatingAdmissionPolicy '${probe.policy}' within ${timeoutMs} ms`;
      let last = '';
      const poll = await pollUntilDenied(
        async () => {
          const name = `bm-scene-vap-${input.tail()}`;
          const creation = await input.cluster.createPod(probe.pod(name), { timeoutMs: input.podReadyMs, requester: probe.requester });
          if (creation.status === 'running') {
            await creation.pod[Symbol.asyncDispose]();
            last = `pod ${name} admitted`;
            return 'allowed';
          }
          last = creation.message;
          const rejection = parseAdmissionPolicyRejection(creation.message);
          return rejection?.policy === probe.policy && rejection.name === name ? 'denied' : 'allowed';
        },
        { ...input.convergence, requiredDenials: 1, ...(input.signal ? { signal: input.signal } : {}), onProgress: (line) => input.onProgress?.(`admission ${probe.policy}: ${line}`) },
      );
      const passed = poll.outcome === 'converged';
      return {
        name: `admission: ${probe.name}`,
        kind: 'admission-policy',
        expected,
        observed: passed ? `refused after ${poll.probes} probe(s), ${Math.round(poll.elapsedMs)} ms` : `not refused by it after ${poll.probes} probe(s)`,
        tries: poll.probes,
        passed,
        detail: last,
      };
    }),
  );
}
