import { newCanary as makeCanary } from '../../attack-pods/sink/canary.ts';
import type { Cluster, KubeObject } from '../domain/cluster.ts';
import type { PolicyGroup } from '../domain/depth.ts';
import type { StackTraits } from '../domain/profile.ts';
import type { SceneAddresses } from '../domain/scene-addresses.ts';
import type { SceneCheck } from '../domain/scene-self-test.ts';
import type { ScriptSource } from '../runner/script-runner.ts';
import { TIMEOUTS } from '../timeouts.ts';
import { pollUntilVerdict, type ConvergenceOptions, type ProbeVerdict } from './convergence-barrier.ts';
import { layerProbe, type LayerProbe } from './layer-probes.ts';
import { describeRun } from './probe-pod.ts';
import { objectLabel, readBackCheck } from './read-back-check.ts';
import { sceneFlows, type SceneFlow } from './scene-flows.ts';
import { disposePods, podFailure, runProbe, startPods, waitForCanary, withPod, type Pods, type SceneSelfTestResult } from './scene-self-test.ts';

export interface PassSelfTestInput {
  readonly cluster: Cluster;
  /** The full stack's traits; the pass narrows them to the groups it kept. */
  readonly stack: StackTraits;
  /** Every policy group of the stack (each gets its layer probe). */
  readonly groups: readonly PolicyGroup[];
  /** The groups whose policies are in force now (all of them after a restoration). */
  readonly kept: readonly PolicyGroup[];
  /** Objects that must read back with every field sent: the scene, the kept groups' and whatever the pass left. */
  readonly present: readonly KubeObject[];
  /** Objects the pass deleted: each must read back absent. */
  readonly absent: readonly KubeObject[];
  readonly podReadyMs: number;
  readonly signal: AbortSignal;
  readonly scripts?: ScriptSource;
  readonly onProgress?: (line: string) => void;
  /** Tests shorten the wait for a deletion or a re-application to land. */
  readonly convergence?: Pick<ConvergenceOptions, 'timeoutMs' | 'intervalMs'>;
}

/** The stack as the pass leaves it: a layer whose policies were deleted enforces nothing. */
export function passTraits(stack: StackTraits, kept: readonly PolicyGroup[]): StackTraits {
  return { ...stack, enforcesNetworkPolicy: stack.enforcesNetworkPolicy && kept.includes('cni'), meshPolicies: stack.meshPolicies && kept.includes('mesh') };
}

/** One row: every deleted object reads back absent (a 404 from the API server, not a list that missed it). */
function absentCheck(absent: readonly KubeObject[], live: readonly (KubeObject | undefined)[]): SceneCheck {
  const still = absent.filter((_, index) => live[index] !== undefined).map(objectLabel);
  return {
    name: 'deleted policy objects read back absent',
    kind: 'absent',
    expected: `${absent.length} objects absent`,
    observed: still.length === 0 ? `${absent.length} of ${absent.length} absent` : `${still.length} still present`,
    tries: 1,
    passed: still.length === 0,
    detail: still.join('; '),
  };
}

/** One try of a layer probe: allowed, denied, or a thrown error (the probe itself broke: it says nothing). */
async function tryLayerProbe(probe: LayerProbe, cluster: Cluster, pods: Pods, addresses: SceneAddresses, podReadyMs: number): Promise<{ verdict: ProbeVerdict; detail: string }> {
  if (probe.method === 'admission') {
    const creation = await cluster.createPod(probe.pod(makeCanary().slice(-6)), { timeoutMs: podReadyMs });
    if (creation.status === 'rejected') return { verdict: 'denied', detail: `admission: ${creation.message}` };
    await Promise.resolve(creation.pod[Symbol.asyncDispose]()).catch(() => undefined);
    return { verdict: 'allowed', detail: `admitted and running as ${creation.pod.name}` };
  }
  const pod = pods.get(probe.id);
  if (pod === undefined || pod instanceof Error) throw pod ?? new Error(`no pod was started for ${probe.id}`);
  const canary = makeCanary();
  const run = await runProbe(pod, probe, addresses, canary);
  if (run.verdict === 'broken') throw new Error(`the probe itself failed: ${describeRun(run)}`);
  if (probe.deliversOver === undefined) return { verdict: run.verdict, detail: describeRun(run) };
  const delivered = (await waitForCanary(cluster, canary)).some((record) => record.protocol === probe.deliversOver);
  // Delivery is the sink's word: a client that thinks it got through without a record proves nothing either way.
  if (run.verdict === 'allowed' && !delivered) throw new Error(`client ${describeRun(run)} but the sink has no ${probe.deliversOver} record of ${canary}`);
  if (run.verdict === 'denied' && delivered) throw new Error(`client ${describeRun(run)} but the sink recorded ${canary}`);
  return { verdict: run.verdict, detail: `${describeRun(run)}${delivered ? `, sink recorded ${canary}` : ''}` };
}

/**
 * Polls a probe until it shows `goal` twice in a row, bounded: a deletion or a re-application reaches the dataplane
 * late and node by node — Istio "propagates the changes through the mesh over time"
 * (https://istio.io/latest/docs/ops/configuration/mesh/config-resource-ready/); the CNI's agents program each node on
 * their own. The probe, not a fixed sleep, says when the state is there.
 */
async function pollCheck(
  name: string,
  kind: SceneCheck['kind'],
  goal: ProbeVerdict,
  because: string,
  tryOnce: () => Promise<{ verdict: ProbeVerdict; detail: string }>,
  input: PassSelfTestInput,
): Promise<SceneCheck> {
  const timeoutMs = input.convergence?.timeoutMs ?? TIMEOUTS.convergenceMs;
  const expected = `${goal} twice in a row within ${timeoutMs} ms (${because})`;
  // By start order: probes overlap, and the detail must be the last counted one's.
  const details: string[] = [];
  try {
    const poll = await pollUntilVerdict(
      async () => {
        const index = details.push('') - 1;
        const seen = await tryOnce();
        details[index] = seen.detail;
        return seen.verdict;
      },
      goal,
      { ...input.convergence, signal: input.signal, onProgress: (line) => input.onProgress?.(`${name}: ${line}`) },
    );
    const last = details[poll.probes - 1];
    const observed = poll.outcome === 'converged' ? `${goal} after ${poll.probes} probe(s), ${Math.round(poll.elapsedMs)} ms` : poll.outcome === 'interrupted' ? 'interrupted' : `still ${poll.lastVerdict ?? 'unprobed'} after ${poll.probes} probes`;
    return { name, kind, expected, observed, tries: poll.probes, passed: poll.outcome === 'converged', detail: last === undefined || last === '' ? '' : `last: ${last}` };
  } catch (error) {
    return { name, kind, expected, observed: 'probe failed', tries: 0, passed: false, detail: error instanceof Error ? error.message : String(error) };
  }
}

function flowCheck(flow: SceneFlow, probing: { pods: Pods; addresses: SceneAddresses }, input: PassSelfTestInput): Promise<SceneCheck> {
  const kind = flow.expect === 'allowed' ? 'allowed-flow' : 'denied-flow';
  return withPod(probing.pods, flow, (error) => podFailure(flow, kind, flow.expect, error), (pod) =>
    pollCheck(flow.name, kind, flow.expect, flow.because, async () => {
      const run = await runProbe(pod, flow, probing.addresses);
      if (run.verdict === 'broken') throw new Error(`the probe itself failed: ${describeRun(run)}`);
      return { verdict: run.verdict, detail: describeRun(run) };
    }, input),
  );
}

/**
 * The self-test of a depth pass on the run's own cluster, after its policy objects were deleted or applied again.
 * It proves the state the pass claims: every deleted object reads back absent and every other one present with
 * every field sent; each group's layer probe is allowed where the group was removed and denied where it was kept;
 * the scene's flows are what the remaining policies make of them. Probes poll, bounded, until the state shows
 * twice in a row. Any failed row fails the pass (its cells are errors, never a depth).
 */
export async function passSelfTest(input: PassSelfTestInput): Promise<SceneSelfTestResult> {
  const started = performance.now();
  const { cluster } = input;
  const flows = sceneFlows(passTraits(input.stack, input.kept));
  const probes = input.groups.map(layerProbe);
  const addresses = await cluster.addresses();
  const execProbes = probes.filter((probe) => probe.method === 'exec');
  const pods = await startPods(input, [...flows, ...execProbes]);
  try {
    const [absentLive, presentLive] = await Promise.all([cluster.readBack(input.absent), cluster.readBack(input.present)]);
    const probeChecks = await Promise.all([
      ...probes.map((probe) => {
        const goal: ProbeVerdict = input.kept.includes(probe.group) ? 'denied' : 'allowed';
        const because = goal === 'denied' ? `${probe.group} policies in force: ${probe.because}` : `${probe.group} policies deleted: ${probe.because}`;
        return pollCheck(probe.name, 'layer-probe', goal, because, () => tryLayerProbe(probe, cluster, pods, addresses, input.podReadyMs), input);
      }),
      ...flows.map((flow) => flowCheck(flow, { pods, addresses }, input)),
    ]);
    const checks = [...(input.absent.length > 0 ? [absentCheck(input.absent, absentLive)] : []), readBackCheck(input.present, presentLive), ...probeChecks];
    return { checks, passed: checks.every((check) => check.passed), durationMs: performance.now() - started };
  } finally {
    await disposePods(pods);
  }
}
