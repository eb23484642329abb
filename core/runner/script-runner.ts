import type { AttemptPlan } from '../domain/attack.ts';
import type { Cluster, PodHandle } from '../domain/cluster.ts';
import type { EvidenceItem } from '../domain/evidence.ts';
import { startExec, type MarkerWait } from '../domain/running-exec.ts';
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

/** What asking a running script to end its work early (StartedPlan.stop) came to. */
export type StopOutcome =
  /** The stop command ran in the script's pod and succeeded. */
  | { readonly status: 'sent' }
  /** The script had already ended (or never ran in an exec): nothing to stop. */
  | { readonly status: 'ended' }
  /** The stop exec failed or timed out: the script ends on its own bound. */
  | { readonly status: 'failed'; readonly detail: string };

/** A script started in its pod: its outcome once it ends, and its stdout lines while it runs. */
interface StartedScript {
  readonly outcome: Promise<ScriptOutcome>;
  waitForLine(marker: string, budgetMs: number): Promise<MarkerWait>;
  stop(command: readonly string[], budgetMs: number): Promise<StopOutcome>;
}

function startInPod(pod: PodHandle, plan: AttemptPlan, scripts: ScriptSource, env: Readonly<Record<string, string>>): StartedScript {
  if (plan.placement === 'init-container') {
    // The init container ran before the pod was up: its log is all there is, nothing streams.
    const outcome = pod.logs(initContainerName(plan)).then((log): ScriptOutcome => {
      const result = parseScriptResult(log, '', 0);
      return { signal: result.signal, detail: result.detail, fields: result.fields };
    });
    return { outcome, waitForLine: () => outcome.then(ended, ended), stop: async () => ({ status: 'ended' }) };
  }
  const exec = startExec(pod, ['sh', '-c', scripts(plan.script)], { timeoutMs: TIMEOUTS.scriptExecMs, env });
  let running = true;
  const outcome = exec.result.then((result): ScriptOutcome => {
    if (result.timedOut) return { signal: 'error', detail: `script exceeded its ${TIMEOUTS.scriptExecMs} ms deadline`, fields: {} };
    const parsed = parseScriptResult(result.stdout, result.stderr, result.exitCode);
    return { signal: parsed.signal, detail: parsed.detail, fields: parsed.fields };
  });
  outcome.then(
    () => (running = false),
    () => (running = false),
  );
  const stop = async (command: readonly string[], budgetMs: number): Promise<StopOutcome> => {
    if (!running) return { status: 'ended' };
    try {
      const result = await pod.exec(command, { timeoutMs: budgetMs });
      if (result.timedOut) return { status: 'failed', detail: `the stop exec exceeded ${budgetMs} ms` };
      if (result.exitCode !== 0) return { status: 'failed', detail: `the stop exec exited ${result.exitCode}: ${result.stderr.trim().slice(0, 200)}` };
      return { status: 'sent' };
    } catch (error) {
      return { status: 'failed', detail: `the stop exec failed: ${(error as Error).message}` };
    }
  };
  return { outcome, waitForLine: (marker, budgetMs) => exec.waitForLine(marker, budgetMs), stop };
}

const ended = (): MarkerWait => ({ status: 'ended' });

/** A plan's script started by `PreparedPlan.start()`. */
export interface StartedPlan {
  /** Settles when the script ended, like `PreparedPlan.run()`. */
  readonly done: Promise<PlanRun>;
  /** A stdout line the script prints while it runs (an admission-refused plan ran nothing: `ended`). */
  waitForLine(marker: string, budgetMs: number): Promise<MarkerWait>;
  /**
   * Asks the script to end its work early: runs `command` in the same pod (and container) while the script runs, within
   * `budgetMs` (a capture: attack-pods/script-stop.ts). The script still ends itself and `done` settles as usual.
   */
  stop(command: readonly string[], budgetMs: number): Promise<StopOutcome>;
}

/**
 * A plan whose pod exists (or was refused) and whose script has not run yet: `run()` executes it once, `start()`
 * starts it and lets the caller watch its output. Lets a caller order scripts across pods after every pod is up
 * (eavesdropping: the victim sends once the sniffer said its capture is open). `release()` deletes the pod when the
 * script was never run or failed.
 */
export interface PreparedPlan {
  /** The pod that was created; undefined when admission refused it. */
  readonly pod: PlanRun['pod'];
  run(): Promise<PlanRun>;
  /** `env` adds variables known only once the pods exist (a capture's CAPTURE_PEER and stop token); never replaces the plan's own. */
  start(env?: Readonly<Record<string, string>>): StartedPlan;
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
    return {
      pod: undefined,
      run: async () => refused,
      start: () => ({ done: Promise.resolve(refused), waitForLine: async () => ended(), stop: async () => ({ status: 'ended' }) }),
      release: async () => {},
    };
  }
  const pod = creation.pod;
  const ran = { namespace: pod.namespace, name: pod.name, ip: pod.ip };
  const release = async (): Promise<void> => {
    await pod[Symbol.asyncDispose]();
  };
  const start = (env: Readonly<Record<string, string>> = {}): StartedPlan => {
    let script: StartedScript;
    try {
      const replaced = Object.keys(env).filter((name) => name in plan.env);
      if (replaced.length > 0) throw new Error(`plan ${plan.script} already sets ${replaced.join(', ')}: refusing to replace it at start`);
      script = startInPod(pod, plan, scripts, { ...plan.env, ...env });
    } catch (error) {
      // An unknown script or a plan without its init container: nothing ran.
      const failed = Promise.reject(error as Error);
      script = { outcome: failed, waitForLine: async () => ended(), stop: async () => ({ status: 'ended' }) };
    }
    const done = script.outcome.then(
      ({ signal, detail, fields }): PlanRun => ({ signal, detail, fields, durationMs: performance.now() - started, pod: ran, release }),
      async (error: unknown) => {
        await release();
        throw error;
      },
    );
    return { done, waitForLine: script.waitForLine, stop: script.stop };
  };
  return { pod: ran, release, start, run: () => start().done };
}

/** Create the plan's pod (admission may refuse it) and run its script. */
export async function runPlan(cluster: Cluster, plan: AttemptPlan, podReadyMs: number, scripts: ScriptSource = composeScript): Promise<PlanRun> {
  return (await preparePlan(cluster, plan, podReadyMs, scripts)).run();
}

/**
 * Run the plan's script in a pod that already runs (a shared control client, control-clients.ts): nothing is created,
 * and `release()` leaves the pod alone.
 */
export async function runPlanInPod(pod: PodHandle, plan: AttemptPlan, scripts: ScriptSource = composeScript): Promise<PlanRun> {
  if (plan.placement === 'init-container') throw new Error(`plan ${plan.script} runs in an init container: it needs a pod of its own`);
  const started = performance.now();
  const { signal, detail, fields } = await startInPod(pod, plan, scripts, plan.env).outcome;
  return { signal, detail, fields, durationMs: performance.now() - started, pod: { namespace: pod.namespace, name: pod.name, ip: pod.ip }, release: async () => {} };
}
