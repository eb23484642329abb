import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { REGISTRY_CACHE_NAME, SINK_IP_PLACEHOLDER } from './plan-kind-profile.ts';
import type { KindPlan } from './plan-types.ts';
import { renderStep, shellQuote } from './render-steps.ts';

/** `[phase/component] command` per step, in order. */
export function planStepLines(plan: KindPlan): string[] {
  return plan.steps.map((step) => `[${step.phase}/${step.component}] ${renderStep(step)}`);
}

/** The commands that remove what the plan makes: the cluster, then the side containers. */
export function teardownCommands(plan: KindPlan): string[] {
  const containers = plan.steps.filter((step) => step.kind === 'container');
  const removable = containers.filter((step) => !step.reuse).map((step) => `docker rm --force ${shellQuote(step.name)}`);
  const kept = containers.filter((step) => step.reuse).map((step) => `docker rm --force ${shellQuote(step.name)}   # optional: kept across runs on purpose`);
  return [`kind delete cluster --name ${shellQuote(plan.clusterName)}`, ...removable, ...kept];
}

/**
 * Comment lines that make the steps usable by hand: where to run them from, what the sink placeholder is and
 * how to replace it, and how to take everything down again. `runFrom` is the plan directory as the reader sees it.
 */
export function planPreamble(plan: KindPlan, runFrom: string): string[] {
  const sink = plan.steps.find((step) => step.kind === 'container' && step.component === 'sink');
  const sinkName = sink?.kind === 'container' ? sink.name : `${plan.clusterName}-sink`;
  const lines = [
    `# breachmatrix kind plan for profile ${plan.profile.id} (version set ${plan.versionSet})`,
    `# cluster ${plan.clusterName}, node image ${plan.nodeImage}`,
    `# run the kind steps from ${runFrom}; their paths are relative to it`,
  ];
  if (JSON.stringify(plan).includes(SINK_IP_PLACEHOLDER)) {
    lines.push(
      `# ${SINK_IP_PLACEHOLDER} (TEST-NET-1, RFC 5737: never routed) stands in for the sink container's address on the kind`,
      `# network, known only once the sink runs. Before the stack steps, replace it everywhere (manifests/coredns*.yaml and`,
      `# the metadata DNAT steps) with: docker inspect -f '{{(index .NetworkSettings.Networks "kind").IPAddress}}' ${sinkName}`,
      '# (`breachmatrix run` re-plans with the real address itself).',
    );
  }
  if (plan.steps.some((step) => step.kind === 'container' && step.name === REGISTRY_CACHE_NAME)) {
    lines.push(`# ${REGISTRY_CACHE_NAME} is started with testcontainers' reuse: it outlives the run.`);
  }
  lines.push('# teardown, afterwards or to abandon a half-made cluster:', ...teardownCommands(plan).map((command) => `#   ${command}`));
  return lines;
}

/**
 * Write the plan's files under `outDir`; with `stepsFile` (the default) also `steps.txt` there: the preamble and
 * the exact commands, numbered. Returns the step lines. `breachmatrix plan` writes one steps file of its own that
 * also lists the runner's steps, so it asks for no second one here.
 */
export async function writePlan(plan: KindPlan, outDir: string, options: { readonly stepsFile?: boolean } = {}): Promise<string[]> {
  for (const file of plan.files) {
    const target = join(outDir, file.path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, file.content);
  }
  const lines = planStepLines(plan);
  if (options.stepsFile === false) return lines;
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, 'steps.txt'), `${[...planPreamble(plan, 'this directory'), ...lines.map((line, index) => `${index + 1}. ${line}`)].join('\n')}\n`);
  return lines;
}
