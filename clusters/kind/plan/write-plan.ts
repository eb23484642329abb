import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { KindPlan } from './plan-types.ts';
import { renderStep } from './render-steps.ts';

/** `[phase/component] command` per step, in order. */
export function planStepLines(plan: KindPlan): string[] {
  return plan.steps.map((step) => `[${step.phase}/${step.component}] ${renderStep(step)}`);
}

/**
 * Write the plan's files under `outDir` and `steps.txt` with the exact commands, numbered, run from `outDir`.
 * Returns the step lines.
 */
export async function writePlan(plan: KindPlan, outDir: string): Promise<string[]> {
  for (const file of plan.files) {
    const target = join(outDir, file.path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, file.content);
  }
  const lines = planStepLines(plan);
  const header = [
    `# breachmatrix kind plan for profile ${plan.profile.id} (version set ${plan.versionSet})`,
    `# cluster ${plan.clusterName}, node image ${plan.nodeImage}`,
    '# run from this directory; paths are relative to it',
  ];
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, 'steps.txt'), `${[...header, ...lines.map((line, index) => `${index + 1}. ${line}`)].join('\n')}\n`);
  return lines;
}
