import { baseEnv, serviceHost } from '../../attack-pods/catalogue/plans.ts';
import { newCanary } from '../../attack-pods/sink/canary.ts';
import { convergenceBarrier, type ConvergenceResult } from '../../clusters/kind/convergence-barrier.ts';
import { intruderPod } from '../../manifests/index.ts';
import { SCENE } from '../../manifests/scene.ts';
import type { Cluster, KubeObject } from '../domain/cluster.ts';
import { InfrastructureError } from '../domain/errors.ts';
import { PASS_SIGNALS } from '../domain/signal.ts';
import { runPlan, type ScriptSource } from './script-runner.ts';

export const CONVERGENCE_POD = 'bm-convergence-probe';

/**
 * Policies take effect asynchronously on real clusters (CNI agents, istiod pushes). Instead of sleeping, a probe
 * that every layered stack denies — an unprivileged pod in bm-app calling `api` — must be allowed before the
 * policies are applied and denied (twice in a row) after. The CNI drops it, the sidecar answers 403, ztunnel
 * resets it: whichever layer the stack has, its policy is in force when the probe turns.
 */
export async function applyPoliciesBehindBarrier(
  cluster: Cluster,
  policies: readonly (readonly KubeObject[])[],
  options: { readonly podReadyMs: number; readonly signal: AbortSignal; readonly scripts?: ScriptSource },
): Promise<ConvergenceResult> {
  const probe = async (): Promise<'allowed' | 'denied'> => {
    const canary = newCanary();
    const run = await runPlan(
      cluster,
      {
        pod: intruderPod({ name: `${CONVERGENCE_POD}-${canary.slice(-6)}` }).build(),
        script: 'http-probe.sh',
        env: { ...baseEnv(canary), TARGET_URL: `http://${serviceHost('api')}:${SCENE.workloads.api.port}/api/convergence` },
        placement: 'exec',
        flow: { protocol: 'http', destinationName: serviceHost('api'), destinationPort: SCENE.workloads.api.port },
      },
      options.podReadyMs,
      options.scripts,
    );
    await run.release();
    if (run.signal === 'error') throw new InfrastructureError('convergence', `the probe failed: ${run.detail}`);
    return PASS_SIGNALS.has(run.signal) ? 'allowed' : 'denied';
  };
  return convergenceBarrier(
    probe,
    async () => {
      for (const objects of policies) await cluster.apply(objects);
    },
    { signal: options.signal },
  );
}
