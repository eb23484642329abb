import type { AttemptPlan } from '../domain/attack.ts';
import type { Cluster, PodHandle } from '../domain/cluster.ts';
import type { EvidenceItem } from '../domain/evidence.ts';
import type { ClientSignal } from '../domain/signal.ts';
import { composeScript } from '../../attack-pods/script-loader.ts';
import { parseScriptResult } from '../../attack-pods/script-result.ts';
import { parseAdmissionMessages } from '../evidence/admission-message.ts';
import { TIMEOUTS } from '../timeouts.ts';

/** What one run of an attempt or control plan produced. The pod stays alive until `release()`. */
export interface PlanRun {
  readonly signal: ClientSignal;
  readonly detail: string;
  /** The script's other result fields (e.g. a capture's packet count). */
  readonly fields: Readonly<Record<string, string | number>>;
  readonly durationMs: number;
  /** Admission's own record when the pod was refused. */
  readonly admissionEvidence?: EvidenceItem;
  /** The pod that ran, when one was admitted: its address identifies this attempt's flow in layer records. */
  readonly pod?: { readonly namespace: string; readonly name: string; readonly ip: string };
  /** Delete the pod. Called after evidence is collected: per-pod records (counters, proxy logs) die with it. */
  release(): Promise<void>;
}

function initContainerName(plan: AttemptPlan): string {
  const name = plan.pod.spec?.initContainers?.[0]?.name;
  if (name === undefined) throw new Error(`attempt plan for ${plan.pod.metadata?.name ?? '?'} has placement init-container but no init container`);
  return name;
}

/** Turns a script name into the text `sh -c` runs; the catalogue's loader unless a test injects another. */
export type ScriptSource = (name: string) => string;

type ScriptOutcome = { signal: ClientSignal; detail: string; fields: Readonly<Record<string, string | number>> };

async function runInPod(pod: PodHandle, plan: AttemptPlan, scripts: ScriptSource): Promise<ScriptOutcome> {
  if (plan.placement === 'init-container') {
    const result = parseScriptResult(await pod.logs(initContainerName(plan)), '', 0);
    return { signal: result.signal, detail: result.detail, fields: result.fields };
  }
  const exec = await pod.exec(['sh', '-c', scripts(plan.script)], { timeoutMs: TIMEOUTS.scriptExecMs, env: plan.env });
  if (exec.timedOut) return { signal: 'error', detail: `script exceeded its ${TIMEOUTS.scriptExecMs} ms deadline`, fields: {} };
  const result = parseScriptResult(exec.stdout, exec.stderr, exec.exitCode);
  return { signal: result.signal, detail: result.detail, fields: result.fields };
}

/**
 * A plan whose pod exists (or was refused) and whose script has not run yet: `run()` executes it once. Lets a caller
 * order scripts across pods after every pod is up (eavesdropping: the capture must be open before the victim sends).
 * `release()` deletes the pod when `run()` was never called or failed.
 */
export interface PreparedPlan {
  run(): Promise<PlanRun>;
  release(): Promise<void>;
}

/** Create the plan's pod (admission may refuse it); the script runs on `run()`. */
export async function preparePlan(cluster: Cluster, plan: AttemptPlan, podReadyMs: number, scripts: ScriptSource = composeScript): Promise<PreparedPlan> {
  const started = performance.now();
  const creation = await cluster.createPod(plan.pod, { timeoutMs: podReadyMs, ...(plan.requester === undefined ? {} : { requester: plan.requester }) });
  if (creation.status === 'rejected') {
    const refused: PlanRun = {
      signal: 'admission-denied',
      detail: creation.message,
      fields: {},
      durationMs: performance.now() - started,
      // The parser names the policy (rule) and what it refused (detail); the raw message stays the API server's.
      admissionEvidence: parseAdmissionMessages(creation.message, plan.flow)[0] ?? { layer: 'admission', source: 'admission', verdict: 'denied', raw: creation.message },
      release: async () => {},
    };
    return { run: async () => refused, release: async () => {} };
  }
  const pod = creation.pod;
  const release = async (): Promise<void> => {
    await pod[Symbol.asyncDispose]();
  };
  return {
    release,
    run: async () => {
      try {
        const { signal, detail, fields } = await runInPod(pod, plan, scripts);
        return { signal, detail, fields, durationMs: performance.now() - started, pod: { namespace: pod.namespace, name: pod.name, ip: pod.ip }, release };
      } catch (error) {
        await release();
        throw error;
      }
    },
  };
}

/** Create the plan's pod (admission may refuse it) and run its script. */
export async function runPlan(cluster: Cluster, plan: AttemptPlan, podReadyMs: number, scripts: ScriptSource = composeScript): Promise<PlanRun> {
  return (await preparePlan(cluster, plan, podReadyMs, scripts)).run();
}
