import { setTimeout as sleep } from 'node:timers/promises';
import { newCanary } from '../../attack-pods/sink/canary.ts';
import type { AttackDefinition, AttemptContext, Expectation } from '../domain/attack.ts';
import { attribute } from '../domain/attribution.ts';
import type { Cell, ControlResult } from '../domain/cell.ts';
import type { Cluster, SinkRecord } from '../domain/cluster.ts';
import type { EvidenceItem } from '../domain/evidence.ts';
import { stackTraits } from '../domain/profile.ts';
import type { SceneAddresses } from '../domain/scene-addresses.ts';
import { PASS_SIGNALS } from '../domain/signal.ts';
import { stackLayers } from '../domain/stack-layers.ts';
import { TIMEOUTS } from '../timeouts.ts';
import { matchesExpectation } from './expectation-match.ts';
import { runPlan, type PlanRun, type ScriptSource } from './script-runner.ts';

export interface ExecuteOptions {
  readonly runId: string;
  readonly addresses: SceneAddresses;
  readonly podReadyMs: number;
  /** How often a failed positive control is tried again before the cell becomes inconclusive. */
  readonly controlRetries: number;
  readonly newCanary?: () => string;
  readonly scripts?: ScriptSource;
}

async function waitForCanary(cluster: Cluster, canary: string): Promise<readonly SinkRecord[]> {
  const deadline = performance.now() + TIMEOUTS.sinkSettleMs;
  for (;;) {
    const records = await cluster.sinkReceived(canary);
    if (records.length > 0 || performance.now() >= deadline) return records;
    await sleep(150);
  }
}

async function runControl(cluster: Cluster, attack: AttackDefinition, context: AttemptContext, options: ExecuteOptions): Promise<{ control: ControlResult; ms: number }> {
  const started = performance.now();
  let run: PlanRun | undefined;
  let tries = 0;
  while (tries <= options.controlRetries) {
    tries += 1;
    run = await runPlan(cluster, attack.control(context), options.podReadyMs, options.scripts);
    await run.release();
    if (PASS_SIGNALS.has(run.signal)) break;
  }
  const signal = run?.signal ?? 'error';
  return {
    control: { passed: PASS_SIGNALS.has(signal), signal, detail: run?.detail ?? '', tries },
    ms: performance.now() - started,
  };
}

function baseCell(attack: AttackDefinition, cluster: Cluster, runId: string, expected: Expectation, startedAt: Date) {
  return {
    schemaVersion: 1 as const,
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
    const [controlRun, attemptRun] = await Promise.all([
      // The control gets its own canary so its traffic can never count as the attempt's delivery.
      runControl(cluster, attack, { ...context, canary: makeCanary() }, options),
      runPlan(cluster, plan, options.podReadyMs, options.scripts),
    ]);
    attempt = attemptRun;

    const evidenceStarted = performance.now();
    const sinkRecords = attack.success === 'sink-canary' ? await waitForCanary(cluster, canary) : await cluster.sinkReceived(canary);
    // The plan knows the intended flow; the running pod adds its real address, so records of other attempts
    // to the same destination never count for this one.
    const flow = attempt.pod ? { ...plan.flow, sourceIp: attempt.pod.ip, sourcePod: attempt.pod.name, sourceNamespace: attempt.pod.namespace } : plan.flow;
    // A pod admission refused sent nothing: any record matching its intended flow belongs to another attempt.
    const layerEvidence = attempt.admissionEvidence ? [] : await cluster.collectEvidence({ window: { from: startedAt, to: new Date() }, flow });
    const evidence: EvidenceItem[] = [
      ...(attempt.admissionEvidence ? [attempt.admissionEvidence] : []),
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

    const verdict = attribute({
      controlPassed: controlRun.control.passed,
      signal: attempt.signal,
      success: attack.success,
      sinkReceivedCanary: sinkRecords.length > 0,
      evidence,
      stackLayers: stackLayers(stack),
    });
    return {
      ...base,
      outcome: verdict.outcome,
      signal: attempt.signal,
      ...(verdict.blockedBy ? { blockedBy: verdict.blockedBy } : {}),
      ...(verdict.confidence ? { confidence: verdict.confidence } : {}),
      ...(verdict.reason ? { reason: verdict.reason } : attempt.detail ? { reason: attempt.detail } : {}),
      evidence,
      asExpected: matchesExpectation(verdict, expected),
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
