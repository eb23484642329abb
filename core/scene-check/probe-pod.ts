import type { V1Pod } from '@kubernetes/client-node';
import { composeScript } from '../../attack-pods/script-loader.ts';
import { parseScriptResult } from '../../attack-pods/script-result.ts';
import type { AttemptPlan } from '../domain/attack.ts';
import type { Cluster, PodHandle } from '../domain/cluster.ts';
import { InfrastructureError } from '../domain/errors.ts';
import { PASS_SIGNALS, type ClientSignal } from '../domain/signal.ts';
import type { ScriptSource } from '../runner/script-runner.ts';
import { TIMEOUTS } from '../timeouts.ts';

/** What one probe script saw. `broken`: the script says nothing about the network (error, missing privilege). */
export interface ProbeRun {
  readonly signal: ClientSignal;
  readonly detail: string;
  readonly verdict: 'allowed' | 'denied' | 'broken';
}

/** A self-test pod that lives for the whole self-test: one pod, many probes (before and after the policies). */
export interface ProbePod {
  /** The spec it was created from (plans name it as their pod). */
  readonly spec: V1Pod;
  readonly pod: PodHandle;
  run(plan: AttemptPlan): Promise<ProbeRun>;
}

function verdictOf(signal: ClientSignal): ProbeRun['verdict'] {
  if (PASS_SIGNALS.has(signal)) return 'allowed';
  if (signal === 'error' || signal === 'permission-denied' || signal === 'admission-denied') return 'broken';
  return 'denied';
}

export function describeRun(run: ProbeRun): string {
  return run.detail === '' ? run.signal : `${run.signal} (${run.detail})`;
}

/** Create the pod (admission refusing a self-test pod is a broken scene, not a finding) and wrap its exec. */
export async function startProbePod(cluster: Cluster, spec: V1Pod, podReadyMs: number, scripts: ScriptSource = composeScript): Promise<ProbePod> {
  const creation = await cluster.createPod(spec, { timeoutMs: podReadyMs });
  if (creation.status === 'rejected') {
    throw new InfrastructureError('scene', `admission refused self-test pod ${spec.metadata?.namespace}/${spec.metadata?.name}: ${creation.message}`);
  }
  const pod = creation.pod;
  return {
    spec,
    pod,
    run: async (plan) => {
      const exec = await pod.exec(['sh', '-c', scripts(plan.script)], { timeoutMs: TIMEOUTS.scriptExecMs, env: plan.env });
      if (exec.timedOut) return { signal: 'error', detail: `script exceeded its ${TIMEOUTS.scriptExecMs} ms deadline`, verdict: 'broken' };
      const result = parseScriptResult(exec.stdout, exec.stderr, exec.exitCode);
      return { signal: result.signal, detail: result.detail, verdict: verdictOf(result.signal) };
    },
  };
}
