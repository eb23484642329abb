import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { findAttacks } from '../../../attack-pods/catalogue/index.ts';
import { loadKindPins, planKindProfile, planPreamble, writePlan } from '../../../clusters/kind/index.ts';
import { renderSceneObjects } from '../../../manifests/render-scene-objects.ts';
import type { AttackDefinition } from '../../domain/attack.ts';
import { stackTraits, type PolicyStrength, type Profile, type ProviderName } from '../../domain/profile.ts';
import { loadEstimates } from '../../config/estimates.ts';
import { PLANNING_ADDRESSES } from '../../runner/planning-addresses.ts';
import { estimateLines, planEstimate } from '../../../clusters/kind/plan/plan-estimate.ts';
import { resolveProfiles } from '../profile-selection.ts';

export interface PlanFlags {
  readonly provider: ProviderName;
  readonly profile: string[];
  readonly attack: string[];
  readonly out: string;
  readonly config?: string;
  readonly pins?: string;
  /** `--policy-set`; baseline when absent. */
  readonly policySet?: PolicyStrength;
}

const ATTEMPT_CANARY = 'bm0000000000000000';
const CONTROL_CANARY = 'bm00000000000000cc';
const PLAN_RUN_ID = 'plan';

/** What the attack plans and the cluster name stand in for: a plan is rendered before any cluster exists. */
function placeholderLines(kind: boolean): string[] {
  const { sink, nodes, apiServer, workloads } = PLANNING_ADDRESSES;
  const documentation = [...nodes.map((node) => node.ip), apiServer.host, ...Object.values(workloads).map((workload) => workload.podIp)];
  return [
    ...(kind ? [`# the run id "${PLAN_RUN_ID}" in the cluster name stands in for the run's own (\`breachmatrix run\` names it bm-<run id>-<profile>)`] : []),
    `# attacks/*.yaml: the sink ${sink.ip} and the node, API server and pod addresses ${documentation.join(', ')} are`,
    '# documentation addresses (RFC 5737, never routed) standing in for the live ones `breachmatrix run` reads from the',
    `# cluster; ${ATTEMPT_CANARY} (attempt) and ${CONTROL_CANARY} (control) stand in for the fresh canary each attempt gets.`,
  ];
}

const LAYER_FILES = ['scene', 'policies-1', 'policies-2', 'policies-3'] as const;

function yamlDocuments(objects: readonly unknown[]): string {
  return objects.map((object) => stringify(object, { lineWidth: 0 })).join('---\n');
}

/** Every attacker and control pod of the selected attacks, with the script and environment it would run. */
async function writeAttackPlans(dir: string, profile: Profile, attacks: readonly AttackDefinition[]): Promise<string[]> {
  const stack = stackTraits(profile);
  const lines: string[] = [];
  await mkdir(join(dir, 'attacks'), { recursive: true });
  for (const attack of attacks) {
    const reason = attack.notApplicable(stack);
    const expected = attack.expect(stack);
    if (reason !== undefined) {
      lines.push(`${attack.id}: not applicable — ${reason}`);
      continue;
    }
    const context = { stack, canary: ATTEMPT_CANARY, addresses: PLANNING_ADDRESSES };
    const attempt = attack.attempt(context);
    const control = attack.control({ ...context, canary: CONTROL_CANARY });
    const document = [
      { role: 'attempt', script: attempt.script, placement: attempt.placement, env: attempt.env, flow: attempt.flow, requester: attempt.requester ?? 'harness' },
      attempt.pod,
      { role: 'control', kind: control.kind, script: control.script, placement: control.placement, env: control.env, flow: control.flow },
      control.pod,
    ];
    await writeFile(join(dir, 'attacks', `${attack.id}.yaml`), yamlDocuments(document));
    lines.push(`${attack.id}: run ${attempt.script} in ${attempt.pod.metadata?.namespace}/${attempt.pod.metadata?.name} (control ${control.kind} ${control.script} from ${control.pod.metadata?.namespace}/${control.pod.metadata?.name} to ${control.flow.destinationIp ?? control.flow.destinationName ?? '?'}${control.flow.destinationPort === undefined ? '' : `:${control.flow.destinationPort}`}); expect ${expected.outcome}${expected.blockedBy ? ` by ${expected.blockedBy}` : ''} [${expected.source}]`);
  }
  return lines;
}

/** `breachmatrix plan`: loaded only when the command runs. */
export async function plan(flags: PlanFlags): Promise<void> {
  const profiles = await resolveProfiles(flags);
  const attacks = findAttacks(flags.attack);
  const estimates = flags.provider === 'kind' ? await loadEstimates() : undefined;
  for (const profile of profiles) {
    const dir = join(flags.out, profile.id.replaceAll(':', '_'));
    await mkdir(dir, { recursive: true });
    const steps: string[] = [];
    const preamble: string[] = [];
    if (flags.provider === 'kind') {
      // The runner applies the scene and policies itself (below), inside the scene self-test.
      const plan = planKindProfile(profile, await loadKindPins(flags.pins), { runId: PLAN_RUN_ID });
      // One steps file for the profile (this one): the kind steps run from kind/, where their files are.
      steps.push(...(await writePlan(plan, join(dir, 'kind'), { stepsFile: false })));
      preamble.push(...planPreamble(plan, `${join(dir, 'kind')}/`));
      if (estimates !== undefined) preamble.push(...estimateLines(planEstimate(plan, estimates)));
    }
    preamble.push(...placeholderLines(flags.provider === 'kind'));
    const layers = renderSceneObjects(profile);
    for (const [index, objects] of layers.entries()) {
      const file = `${LAYER_FILES[index] ?? `policies-${index}`}.yaml`;
      await writeFile(join(dir, file), yamlDocuments(objects));
      steps.push(
        index === 0
          ? `runner: apply ${file} (${objects.length} objects)`
          : `runner: apply ${file} (${objects.length} objects) inside the scene self-test (denied flows allowed before, denied twice after; allowed flows, DNS, metadata, mesh enrolment, read-back)`,
      );
    }
    steps.push(...(await writeAttackPlans(dir, profile, attacks)));
    await writeFile(join(dir, 'steps.txt'), `${[...preamble, ...steps.map((step, index) => `${index + 1}. ${step}`)].join('\n')}\n`);
    process.stdout.write(`== ${profile.id} (${dir})\n${steps.map((step, index) => `${index + 1}. ${step}`).join('\n')}\n`);
  }
}
