import { setTimeout as sleep } from 'node:timers/promises';
import { newCanary } from '../../attack-pods/sink/canary.ts';
import type { AttackDefinition, AttemptContext, Expectation } from '../domain/attack.ts';
import { attribute, attributeCapture, type Attribution } from '../domain/attribution.ts';
import type { Cell, ControlResult } from '../domain/cell.ts';
import type { Cluster, SinkRecord } from '../domain/cluster.ts';
import { summarizeFlow, type ControlPlan } from '../domain/control.ts';
import type { FlowDescriptor, TimeWindow } from '../domain/evidence.ts';
import type { EvidenceItem } from '../domain/evidence.ts';
import { stackTraits } from '../domain/profile.ts';
import type { SceneAddresses } from '../domain/scene-addresses.ts';
import { RESULTS_SCHEMA_VERSION } from '../domain/results.ts';
import { PASS_SIGNALS } from '../domain/signal.ts';
import { stackLayers } from '../domain/stack-layers.ts';
import { TIMEOUTS } from '../timeouts.ts';
import { captureEvidence, parseCaptureReport } from '../evidence/packet-capture.ts';
import { matchesExpectation } from './expectation-match.ts';
import { captureWithVictim } from './capture-with-victim.ts';
import { runPlan, type PlanRun, type ScriptSource } from './script-runner.ts';
import type { ControlClients } from './control-clients.ts';

export interface ExecuteOptions {
  readonly runId: string;
  readonly addresses: SceneAddresses;
  readonly podReadyMs: number;
  /** How often a failed positive control is tried again before the cell becomes inconclusive. */
  readonly controlRetries: number;
  readonly newCanary?: () => string;
  readonly scripts?: ScriptSource;
  /** Shared control clients of this cluster (control-clients.ts); without them every control makes its own pod. */
  readonly controlClients?: ControlClients;
}

async function waitForCanary(cluster: Cluster, canary: string): Promise<readonly SinkRecord[]> {
  const deadline = performance.now() + TIMEOUTS.sinkSettleMs;
  for (;;) {
    const records = await cluster.sinkReceived(canary);
    if (records.length > 0 || performance.now() >= deadline) return records;
    await sleep(150);
  }
}

/** The flow a run made: the plan's, with the running pod's real address once it ran. */
function ranFlow(flow: FlowDescriptor, run: PlanRun | undefined): FlowDescriptor {
  return run?.pod === undefined ? flow : { ...flow, sourceIp: run.pod.ip, sourcePod: run.pod.name, sourceNamespace: run.pod.namespace };
}

/**
 * Whether one control run passed: its client signal, and — for controls to the sink — the sink recording the
 * control's own canary (a UDP or ICMP client cannot know whether anything arrived).
 */
async function controlPassed(cluster: Cluster, plan: ControlPlan, run: PlanRun, canary: string): Promise<{ passed: boolean; detail: string }> {
  if (plan.proof === 'client-signal') return { passed: PASS_SIGNALS.has(run.signal), detail: run.detail };
  const received = await waitForCanary(cluster, canary);
  return received.length > 0
    ? { passed: true, detail: `${run.detail}; the sink recorded the control's canary (${received.map((record) => `${record.protocol} from ${record.from}`).join(', ')})` }
    : { passed: false, detail: `${run.detail}; the sink never recorded the control's canary` };
}

async function runControl(cluster: Cluster, attack: AttackDefinition, context: AttemptContext, options: ExecuteOptions): Promise<{ control: ControlResult; ms: number }> {
  const started = performance.now();
  const plan = attack.control(context);
  let run: PlanRun | undefined;
  let verdict = { passed: false, detail: '' };
  let tries = 0;
  let flow = plan.flow;
  let client: ControlResult['client'] = 'own';
  while (tries <= options.controlRetries) {
    tries += 1;
    // The first try may use the shared client of the control's pod spec; a retry always gets a pod of its own.
    const shared = tries === 1 && options.controlClients !== undefined ? await options.controlClients.run(plan, options.scripts) : undefined;
    client = shared === undefined ? 'own' : 'shared';
    run = shared ?? (await runPlan(cluster, plan, options.podReadyMs, options.scripts));
    flow = ranFlow(plan.flow, run);
    try {
      verdict = await controlPassed(cluster, plan, run, context.canary);
    } finally {
      await run.release();
    }
    if (verdict.passed) break;
  }
  return {
    control: {
      kind: plan.kind,
      ...summarizeFlow(flow),
      result: verdict.passed ? 'passed' : 'failed',
      passed: verdict.passed,
      signal: run?.signal ?? 'error',
      detail: verdict.detail,
      tries,
      client,
    },
    ms: performance.now() - started,
  };
}

/**
 * A stopped attempt (`blocked`, or `inconclusive` after a failed control) stands only when the destination was alive
 * for the whole window; otherwise the cell is `error`, naming what died.
 */
async function requireLiveDestination(cluster: Cluster, flow: FlowDescriptor, window: TimeWindow, stopped: Attribution): Promise<Attribution> {
  const liveness = await cluster.destinationLiveness(flow, window);
  const read = stopped.outcome === 'blocked' ? `blocked by ${stopped.blockedBy ?? '?'}` : stopped.outcome;
  switch (liveness.status) {
    case 'alive':
      return stopped;
    case 'dead':
      return { outcome: 'error', reason: `the destination was not alive for the whole attempt: ${liveness.died} (the attempt read as ${read})` };
    case 'unknown':
      return stopped.outcome === 'blocked'
        ? { outcome: 'error', reason: `cannot tell whether the destination was alive, so no blocked verdict: ${liveness.reason}` }
        : stopped;
  }
}

function baseCell(attack: AttackDefinition, cluster: Cluster, runId: string, expected: Expectation, startedAt: Date) {
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    runId,
    provider: cluster.provider,
    profileId: cluster.profile.id,
    attackId: attack.id,
    family: attack.family,
    title: attack.title,
    expected,
    startedAt: startedAt.toISOString(),
  };
}

/**
 * One attack on one stack: positive control and attempt (concurrently — the control only gates a `blocked`
 * verdict), then the sink and every layer's own record, then attribution and the comparison with the
 * expectation. Infrastructure failures become an `error` cell, never `blocked`.
 */
export async function executeAttack(cluster: Cluster, attack: AttackDefinition, options: ExecuteOptions): Promise<Cell> {
  const stack = stackTraits(cluster.profile);
  const expected = attack.expect(stack);
  const startedAt = new Date();
  const base = baseCell(attack, cluster, options.runId, expected, startedAt);
  const notApplicable = attack.notApplicable(stack);
  if (notApplicable !== undefined) {
    return {
      ...base,
      outcome: 'not-applicable',
      reason: notApplicable,
      evidence: [],
      asExpected: expected.outcome === 'not-applicable',
      attempts: 0,
      timings: { startedAt: base.startedAt, finishedAt: new Date().toISOString(), controlMs: 0, attemptMs: 0, evidenceMs: 0 },
    };
  }

  const makeCanary = options.newCanary ?? newCanary;
  const canary = makeCanary();
  const context: AttemptContext = { stack, canary, addresses: options.addresses };
  let attempt: PlanRun | undefined;
  try {
    const plan = attack.attempt(context);
    const victimPlan = attack.success === 'packet-capture' ? attack.victim?.(context) : undefined;
    if (attack.success === 'packet-capture' && victimPlan === undefined) throw new Error(`${attack.id} captures packets but names no victim client`);
    const [controlRun, { attemptRun, victimRun }] = await Promise.all([
      // The control gets its own canary so its traffic can never count as the attempt's delivery.
      runControl(cluster, attack, { ...context, canary: makeCanary() }, options),
      victimPlan === undefined
        ? runPlan(cluster, plan, options.podReadyMs, options.scripts).then((run) => ({ attemptRun: run, victimRun: undefined }))
        : captureWithVictim(cluster, plan, victimPlan, options),
    ]);
    attempt = attemptRun;
    try {
      await victimRun?.release();
    } catch {
      // The victim's pod is gone either way; its release failing says nothing of the capture.
    }

    const evidenceStarted = performance.now();
    const sinkRecords = attack.success === 'sink-canary' ? await waitForCanary(cluster, canary) : await cluster.sinkReceived(canary);
    // The plan knows the intended flow; the running pod adds its real address, so records of other attempts
    // to the same destination never count for this one.
    const flow = ranFlow(plan.flow, attempt);
    // A pod admission refused sent nothing: any record matching its intended flow belongs to another attempt.
    // A sniffer's evidence is its capture; layer records matching its node address belong to other flows.
    const capturing = victimPlan !== undefined;
    const layerEvidence = attempt.admissionEvidence || capturing ? [] : await cluster.collectEvidence({ window: { from: startedAt, to: new Date() }, flow });
    const report = victimRun?.pod === undefined ? undefined : parseCaptureReport(attempt.fields);
    const capture =
      report === undefined || victimRun?.pod === undefined || plan.flow.destinationIp === undefined
        ? undefined
        : captureEvidence(report, JSON.stringify(attempt.fields), victimRun.pod.ip, plan.flow.destinationIp, plan.flow.destinationPort ?? 0, stackLayers(stack));
    const evidence: EvidenceItem[] = [
      ...(attempt.admissionEvidence ? [attempt.admissionEvidence] : []),
      ...(capture === undefined ? [] : [capture]),
      ...layerEvidence,
      ...sinkRecords.map((record): EvidenceItem => ({
        layer: 'none',
        source: 'sink',
        verdict: 'delivered',
        raw: JSON.stringify(record),
        detail: `${record.protocol} from ${record.from}`,
        at: record.at,
      })),
    ];
    const evidenceMs = performance.now() - evidenceStarted;

    const attributed = capturing
      ? attributeCapture({
          controlPassed: controlRun.control.passed,
          signal: attempt.signal,
          detail: attempt.detail,
          victimPassed: victimRun !== undefined && PASS_SIGNALS.has(victimRun.signal),
          capture,
        })
      : attribute({
          controlPassed: controlRun.control.passed,
          signal: attempt.signal,
          success: attack.success,
          sinkReceivedCanary: sinkRecords.length > 0,
          evidence,
          stackLayers: stackLayers(stack),
        });
    // A dead destination refuses or drops exactly like a policy: no `blocked` without it alive for the window, and
    // a failed control on a dead destination is named for what it is.
    const window = { from: startedAt, to: new Date() };
    const stopped = (attributed.outcome === 'blocked' && attributed.blockedBy !== 'admission') || (attributed.outcome === 'inconclusive' && attempt.signal !== 'permission-denied');
    const verdict = stopped ? await requireLiveDestination(cluster, flow, window, attributed) : attributed;
    return {
      ...base,
      outcome: verdict.outcome,
      signal: attempt.signal,
      ...(verdict.blockedBy ? { blockedBy: verdict.blockedBy } : {}),
      ...(verdict.confidence ? { confidence: verdict.confidence } : {}),
      ...(verdict.reason ? { reason: verdict.reason } : attempt.detail ? { reason: attempt.detail } : {}),
      evidence,
      asExpected: matchesExpectation(verdict, expected),
      flow: summarizeFlow(flow),
      control: controlRun.control,
      attempts: 1,
      canary,
      timings: {
        startedAt: base.startedAt,
        finishedAt: new Date().toISOString(),
        controlMs: Math.round(controlRun.ms),
        attemptMs: Math.round(attempt.durationMs),
        evidenceMs: Math.round(evidenceMs),
      },
    };
  } catch (error) {
    return {
      ...base,
      outcome: 'error',
      reason: `infrastructure: ${(error as Error).message}`,
      evidence: [],
      asExpected: false,
      attempts: attempt === undefined ? 0 : 1,
      canary,
      timings: { startedAt: base.startedAt, finishedAt: new Date().toISOString(), controlMs: 0, attemptMs: attempt?.durationMs ?? 0, evidenceMs: 0 },
    };
  } finally {
    await attempt?.release();
  }
}
