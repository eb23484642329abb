import { setTimeout as sleep } from 'node:timers/promises';
import { newCanary as makeCanary } from '../../attack-pods/sink/canary.ts';
import type { Cluster, KubeObject, SinkRecord } from '../domain/cluster.ts';
import type { StackTraits } from '../domain/profile.ts';
import type { SceneAddresses } from '../domain/scene-addresses.ts';
import type { SceneCheck } from '../domain/scene-self-test.ts';
import type { ScriptSource } from '../runner/script-runner.ts';
import { TIMEOUTS } from '../timeouts.ts';
import { pollUntilDenied, type ConvergenceOptions } from './convergence-barrier.ts';
import { meshEnrolmentChecks } from './mesh-enrolment.ts';
import { describeRun, startProbePod, type ProbePod, type ProbeRun } from './probe-pod.ts';
import { readBackCheck } from './read-back-check.ts';
import { admissionPolicyChecks } from './admission-policy-check.ts';
import { DNS_PROBE, METADATA_PROBE, policiesRefuseForeignNames, sceneFlows, type SceneFlow, type SceneProbe } from './scene-flows.ts';

export interface SceneSelfTestInput {
  readonly cluster: Cluster;
  readonly stack: StackTraits;
  /** Already applied by the caller. */
  readonly scene: readonly KubeObject[];
  /** Applied here, layer by layer, between the two halves of the self-test. */
  readonly policies: readonly (readonly KubeObject[])[];
  readonly podReadyMs: number;
  readonly signal: AbortSignal;
  readonly scripts?: ScriptSource;
  readonly onProgress?: (line: string) => void;
  /** Tests shorten the wait for a denial. */
  readonly convergence?: Pick<ConvergenceOptions, 'timeoutMs' | 'intervalMs'>;
}

export interface SceneSelfTestResult {
  readonly checks: readonly SceneCheck[];
  readonly passed: boolean;
  readonly durationMs: number;
}

/** Probes a flow is run, each time, where it must be allowed (twice, so one lucky packet proves nothing). */
const ALLOWED_TRIES = 2;
/** Tries for DNS and the metadata endpoint before the row fails (the sink answers late under load). */
const SINK_TRIES = 2;

export type Pods = ReadonlyMap<string, ProbePod | Error>;

/** What every check reads: the probe pods and the scene's addresses. */
export interface Probing {
  readonly pods: Pods;
  readonly addresses: SceneAddresses;
}

/** Run one fresh-canary probe of `probe` in its pod. */
export function runProbe(pod: ProbePod, probe: SceneProbe, addresses: SceneAddresses, canary: string = makeCanary()): Promise<ProbeRun> {
  return pod.run(probe.plan(pod.spec, canary, addresses));
}

export async function waitForCanary(cluster: Cluster, canary: string): Promise<readonly SinkRecord[]> {
  const deadline = performance.now() + TIMEOUTS.sinkSettleMs;
  for (;;) {
    const records = await cluster.sinkReceived(canary);
    if (records.length > 0 || performance.now() >= deadline) return records;
    await sleep(150);
  }
}

export function podFailure(probe: Pick<SceneProbe, 'name'>, kind: SceneCheck['kind'], expected: string, error: Error): SceneCheck {
  return { name: probe.name, kind, expected, observed: 'no probe pod', tries: 0, passed: false, detail: error.message };
}

/** Runs `probe` in its pod; a missing pod or a broken script becomes a failed row via `fail`. */
export async function withPod(pods: Pods, probe: Pick<SceneProbe, 'id'>, fail: (error: Error) => SceneCheck, body: (pod: ProbePod) => Promise<SceneCheck>): Promise<SceneCheck> {
  const pod = pods.get(probe.id);
  if (pod === undefined) return fail(new Error(`no pod was started for ${probe.id}`));
  if (pod instanceof Error) return fail(pod);
  try {
    return await body(pod);
  } catch (error) {
    return fail(error instanceof Error ? error : new Error(String(error)));
  }
}

/** The canary reached the sink over `protocol`: the record names this probe's canary, nothing else counts. */
export async function sinkCheck(
  cluster: Cluster,
  { pods, addresses }: Probing,
  probe: SceneProbe,
  kind: 'dns' | 'metadata',
  expected: string,
  protocol: SinkRecord['protocol'],
): Promise<SceneCheck> {
  return withPod(pods, probe, (error) => podFailure(probe, kind, expected, error), async (pod) => {
    const seen: string[] = [];
    for (let tries = 1; tries <= SINK_TRIES; tries += 1) {
      const canary = makeCanary();
      const run = await runProbe(pod, probe, addresses, canary);
      const records = (await waitForCanary(cluster, canary)).filter((record) => record.protocol === protocol);
      if (records.length > 0) {
        return { name: probe.name, kind, expected, observed: `sink recorded the canary over ${protocol} from ${records[0]?.from ?? '?'}`, tries, passed: true, detail: describeRun(run) };
      }
      seen.push(`try ${tries}: client ${describeRun(run)}, sink has no ${protocol} record of ${canary}`);
    }
    return { name: probe.name, kind, expected, observed: 'the sink never recorded the canary', tries: SINK_TRIES, passed: false, detail: seen.join('; ') };
  });
}

/** Before the policies, a flow they must deny is allowed: else its later denial proves nothing about them. */
async function allowedBeforePolicies({ pods, addresses }: Probing, flow: SceneFlow): Promise<SceneCheck> {
  const name = `${flow.name} before policies`;
  const expected = 'allowed (only the policies may deny it)';
  return withPod(pods, flow, (error) => ({ ...podFailure(flow, 'allowed-before-policies', expected, error), name }), async (pod) => {
    const run = await runProbe(pod, flow, addresses);
    return { name, kind: 'allowed-before-policies', expected, observed: run.verdict, tries: 1, passed: run.verdict === 'allowed', detail: describeRun(run) };
  });
}

async function allowedFlow({ pods, addresses }: Probing, flow: SceneFlow): Promise<SceneCheck> {
  const expected = `allowed ${ALLOWED_TRIES}× (${flow.because})`;
  return withPod(pods, flow, (error) => podFailure(flow, 'allowed-flow', expected, error), async (pod) => {
    const runs: ProbeRun[] = [];
    for (let index = 0; index < ALLOWED_TRIES; index += 1) runs.push(await runProbe(pod, flow, addresses));
    const passed = runs.every((run) => run.verdict === 'allowed');
    return {
      name: flow.name,
      kind: 'allowed-flow',
      expected,
      observed: runs.map((run) => run.verdict).join(', '),
      tries: runs.length,
      passed,
      detail: passed ? '' : runs.map((run, index) => `try ${index + 1}: ${describeRun(run)}`).join('; '),
    };
  });
}

/** The convergence condition: polled until denied twice in a row, bounded by TIMEOUTS.convergenceMs. */
async function deniedFlow({ pods, addresses }: Probing, flow: SceneFlow, input: SceneSelfTestInput): Promise<SceneCheck> {
  const timeoutMs = input.convergence?.timeoutMs ?? TIMEOUTS.convergenceMs;
  const expected = `denied twice in a row within ${timeoutMs} ms (${flow.because})`;
  return withPod(pods, flow, (error) => podFailure(flow, 'denied-flow', expected, error), async (pod) => {
    // By start order: probes overlap, and the detail must be the last counted one's.
    const runs: (ProbeRun | undefined)[] = [];
    const poll = await pollUntilDenied(
      async () => {
        const index = runs.push(undefined) - 1;
        const run = await runProbe(pod, flow, addresses);
        runs[index] = run;
        if (run.verdict === 'broken') throw new Error(`the probe itself failed: ${describeRun(run)}`);
        return run.verdict;
      },
      { ...input.convergence, signal: input.signal, onProgress: (line) => input.onProgress?.(`${flow.name}: ${line}`) },
    );
    const lastCounted = runs[poll.probes - 1];
    const observed =
      poll.outcome === 'converged'
        ? `denied after ${poll.probes} probe(s), ${Math.round(poll.elapsedMs)} ms`
        : poll.outcome === 'interrupted'
          ? 'interrupted'
          : `still ${poll.lastVerdict ?? 'unprobed'} after ${poll.probes} probes`;
    return { name: flow.name, kind: 'denied-flow', expected, observed, tries: poll.probes, passed: poll.outcome === 'converged', detail: lastCounted === undefined ? '' : `last: ${describeRun(lastCounted)}` };
  });
}

export async function startPods(input: Pick<SceneSelfTestInput, 'cluster' | 'podReadyMs' | 'scripts'>, probes: readonly Pick<SceneProbe, 'id' | 'pod'>[]): Promise<Map<string, ProbePod | Error>> {
  const tail = makeCanary().slice(-6);
  const started = await Promise.allSettled(probes.map((probe) => startProbePod(input.cluster, probe.pod(tail), input.podReadyMs, input.scripts)));
  const pods = new Map<string, ProbePod | Error>();
  started.forEach((result, index) => {
    const probe = probes[index];
    if (probe === undefined) return;
    pods.set(probe.id, result.status === 'fulfilled' ? result.value : result.reason instanceof Error ? result.reason : new Error(String(result.reason)));
  });
  return pods;
}

/**
 * The scene self-test, around the policies: before them, every flow they must deny is allowed and the metadata
 * endpoint reaches its emulation; then the policies are applied; after them, allowed flows pass twice, denied
 * flows turn denied (the convergence condition), DNS for the exfil zone reaches the sink, mesh members are
 * enrolled and every applied object reads back with every field sent. Independent probes run in parallel. Any
 * failed row fails the profile; the caller records the table.
 */
export async function applyPoliciesWithSelfTest(input: SceneSelfTestInput): Promise<SceneSelfTestResult> {
  const started = performance.now();
  const { cluster, stack } = input;
  const flows = sceneFlows(stack);
  const denied = flows.filter((flow) => flow.expect === 'denied');
  const allowed = flows.filter((flow) => flow.expect === 'allowed');
  const addresses = await cluster.addresses();
  const pods = await startPods(input, [...flows, DNS_PROBE, METADATA_PROBE]);
  const probing: Probing = { pods, addresses };
  try {
    const dnsForwarding = (): Promise<SceneCheck> =>
      sinkCheck(cluster, probing, DNS_PROBE, 'dns', `the sink records the canary (cluster DNS forwards ${addresses.sink.dnsZone})`, 'dns');
    const dnsBeforePolicies = policiesRefuseForeignNames(stack);
    input.onProgress?.('scene self-test: before policies');
    const before = await Promise.all([
      ...denied.map((flow) => allowedBeforePolicies(probing, flow)),
      sinkCheck(cluster, probing, METADATA_PROBE, 'metadata', 'the sink records the canary (metadata emulation)', 'http'),
      ...(dnsBeforePolicies ? [dnsForwarding()] : []),
    ]);
    for (const objects of input.policies) await cluster.apply(objects);
    input.onProgress?.('scene self-test: after policies');
    const applied = [...input.scene, ...input.policies.flat()];
    const [after, admission, live] = await Promise.all([
      Promise.all([
        ...denied.map((flow) => deniedFlow(probing, flow, input)),
        ...allowed.map((flow) => allowedFlow(probing, flow)),
        ...(dnsBeforePolicies ? [] : [dnsForwarding()]),
      ]),
      admissionPolicyChecks({
        cluster,
        applied: input.policies.flat(),
        podReadyMs: input.podReadyMs,
        tail: () => makeCanary().slice(-8),
        ...(input.convergence ? { convergence: input.convergence } : {}),
        signal: input.signal,
        ...(input.onProgress ? { onProgress: input.onProgress } : {}),
      }),
      cluster.readBack(applied),
    ]);
    const checks = [...before, ...after, ...admission, ...meshEnrolmentChecks(stack, applied, live), readBackCheck(applied, live)];
    return { checks, passed: checks.every((check) => check.passed), durationMs: performance.now() - started };
  } finally {
    await disposePods(pods);
  }
}

/** Deletes every probe pod that was started (best effort: teardown removes what a failed delete leaves). */
export async function disposePods(pods: Pods): Promise<void> {
  await Promise.all([...pods.values()].map((pod) => (pod instanceof Error ? undefined : Promise.resolve(pod.pod[Symbol.asyncDispose]()).catch(() => undefined))));
}
