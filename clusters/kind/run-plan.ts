import { InfrastructureError } from '../../core/domain/errors.ts';
import type { KindDeps, SideContainer } from './kind-deps.ts';
import type { KindPlan, PlanPhase, PlanStep } from './plan/plan-types.ts';
import { renderStep } from './plan/render-steps.ts';
import { stepDeadlineMs } from './plan/step-deadline.ts';

/** What exists so far: teardown removes exactly this, whatever point create reached. */
export interface KindResources {
  /** Set before `kind create cluster` runs: a half-made cluster is still a cluster to delete. */
  clusterName: string | undefined;
  /** True when the cluster was named with --reuse: it is not ours to delete. */
  reused: boolean;
  readonly containers: SideContainer[];
}

export interface ExecuteOptions {
  readonly dir: string;
  /** Resolved binaries (tool cache) by tool name. */
  readonly tools: Readonly<Record<'kind' | 'helm' | 'docker', string>>;
  readonly deps: KindDeps;
  readonly resources: KindResources;
  readonly onProgress: (line: string) => void;
  readonly signal?: AbortSignal;
}

const TAIL_LINES = 15;

function tail(text: string): string {
  return text.trim().split('\n').slice(-TAIL_LINES).join('\n');
}

/** Namespace whose events explain a failing component. */
const COMPONENT_NAMESPACE: Readonly<Record<string, string>> = {
  calico: 'calico-system',
  cilium: 'kube-system',
  coredns: 'kube-system',
  'istio-base': 'istio-system',
  istiod: 'istio-system',
  'istio-cni': 'istio-system',
  ztunnel: 'istio-system',
  'gateway-api': 'kube-system',
};

async function failure(step: PlanStep, detail: string, options: ExecuteOptions, kubeconfig: string, cause?: unknown): Promise<InfrastructureError> {
  const namespace = COMPONENT_NAMESPACE[step.component];
  let diagnosis = '';
  if (namespace !== undefined && options.resources.clusterName !== undefined) {
    diagnosis = await options.deps
      .kube(`${options.dir}/${kubeconfig}`)
      .diagnose(namespace)
      .catch(() => '');
  }
  const command = renderStep(step);
  const message = `${detail}\n  step: ${command}${diagnosis === '' ? '' : `\n  last events and logs in ${namespace}:\n${diagnosis}`}`;
  return new InfrastructureError(step.component, message, cause === undefined ? undefined : { cause });
}

async function runStep(step: PlanStep, plan: KindPlan, options: ExecuteOptions): Promise<void> {
  const kubeconfig = `${options.dir}/${plan.kubeconfig}`;
  switch (step.kind) {
    case 'exec': {
      if (step.tool === 'kind' && step.args[0] === 'create') options.resources.clusterName = plan.clusterName;
      const result = await options.deps.run(options.tools[step.tool], step.args, {
        cwd: options.dir,
        timeoutMs: stepDeadlineMs(step),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      if (result.exitCode !== 0) throw await failure(step, `exit ${result.exitCode}: ${tail(result.stderr || result.stdout)}`, options, plan.kubeconfig);
      return;
    }
    case 'container':
      options.resources.containers.push(await options.deps.startContainer(step));
      return;
    case 'apply':
      await options.deps.kube(kubeconfig).apply(step.objects, step.force);
      return;
    case 'wait':
      await options.deps.kube(kubeconfig).waitFor(step.what, step.condition, step.timeoutMs, options.signal);
      return;
  }
}

/** Run the plan's steps of the given phases in order; every failure names its component and step. */
export async function executePlan(plan: KindPlan, phases: readonly PlanPhase[], options: ExecuteOptions): Promise<void> {
  for (const step of plan.steps.filter((candidate) => phases.includes(candidate.phase))) {
    if (options.signal?.aborted) throw new InfrastructureError(step.component, 'interrupted before this step');
    options.onProgress(`${step.component}: ${renderStep(step)}`);
    try {
      await runStep(step, plan, options);
    } catch (error) {
      if (error instanceof InfrastructureError && error.component === step.component) throw error;
      throw await failure(step, error instanceof Error ? error.message : String(error), options, plan.kubeconfig, error);
    }
  }
}
