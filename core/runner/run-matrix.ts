import { join } from 'node:path';
import pLimit from 'p-limit';
import type { AttackDefinition } from '../domain/attack.ts';
import { isUnexpected, type Cell } from '../domain/cell.ts';
import type { Cluster, ClusterProvider, KubeObject } from '../domain/cluster.ts';
import { EXIT, InfrastructureError } from '../domain/errors.ts';
import { stackTraits, type Profile } from '../domain/profile.ts';
import { RESULTS_SCHEMA_VERSION, type RunHeaderLine } from '../domain/results.ts';
import { failedChecks, type SceneSelfTestLine } from '../domain/scene-self-test.ts';
import { applyPoliciesWithSelfTest } from '../scene-check/scene-self-test.ts';
import { DepthPasses } from '../depth/depth-passes.ts';
import { InPlaceDepthPasses } from '../depth/in-place-passes.ts';
import type { LayeredScene } from '../depth/layered-scene.ts';
import { TIMEOUTS } from '../timeouts.ts';
import { AttackBroker, privateBrokerSocketPath, type BrokerProfile } from './attack-broker.ts';
import { CellReporter } from './cell-reporter.ts';
import type { Progress } from './progress.ts';
import { AttemptGate } from './attempt-gate.ts';
import { ResultsWriter, type WriteFailure, type OpenResultsFile } from './results-writer.ts';
import { cellKey, infrastructureErrorCell, notApplicableCells, notRunCell, type RunIdentity } from './runner-cells.ts';
import type { SyncTeardowns } from './sync-teardowns.ts';
import { runSuites } from './run-suites.ts';
import type { ScriptSource } from './script-runner.ts';

/** The objects a stack gets, in apply order (scene first, then each layer's policies). */
export type SceneRenderer = (profile: Profile) => readonly (readonly KubeObject[])[];

export interface RunMatrixOptions {
  readonly provider: ClusterProvider;
  readonly profiles: readonly Profile[];
  readonly attacks: readonly AttackDefinition[];
  readonly renderScene: SceneRenderer;
  readonly outDir: string;
  readonly runId: string;
  readonly harnessVersion: string;
  /** Attacks at once per profile. */
  readonly concurrency: number;
  /** Profiles (clusters) at once. */
  readonly profileConcurrency: number;
  /** Leave clusters up after the run (for debugging). */
  readonly keep: boolean;
  readonly podReadyMs: number;
  readonly controlRetries: number;
  readonly progress: Progress;
  /** Aborted on Ctrl-C: stop starting attacks, tear down, keep every finished cell. */
  readonly signal: AbortSignal;
  /** The project's own tests inject scripts; the catalogue's loader otherwise. */
  readonly scripts?: ScriptSource;
  /** Tests shorten the scene self-test's wait for denials; TIMEOUTS.convergenceMs otherwise. */
  readonly sceneConvergence?: { readonly timeoutMs: number; readonly intervalMs: number };
  /** Where providers register synchronous teardowns for a second Ctrl-C (unused with `keep`). */
  readonly syncTeardowns?: SyncTeardowns;
  /** Tests inject a failing file to prove a full disk loses no finished cell and tears no line. */
  readonly openResultsFile?: OpenResultsFile;
  /**
   * Depth by ablation (`run --depth`): each policy group named, one extra pass per group (core/depth). `fresh-cluster`
   * (the lab): each pass on a cluster of its own with only its group applied, alongside the full pass. `in-place`
   * (kube providers): after the full pass, on its cluster, the other groups' policy objects deleted and re-applied.
   */
  readonly depth?: { readonly renderLayers: (profile: Profile) => LayeredScene; readonly ablation?: 'fresh-cluster' | 'in-place' };
}

export interface RunOutcome {
  readonly resultsPath: string;
  readonly cells: readonly Cell[];
  readonly profileErrors: readonly { readonly profileId: string; readonly message: string }[];
  readonly harnessFailures: readonly string[];
  readonly interrupted: boolean;
  /** Set when results.jsonl could not be written: the run stopped starting attacks. */
  readonly writeFailure?: WriteFailure;
  readonly exitCode: number;
}

function exitCodeFor(outcome: Omit<RunOutcome, 'exitCode' | 'resultsPath'>): number {
  if (outcome.writeFailure !== undefined) return EXIT.infrastructure;
  if (outcome.interrupted) return EXIT.interrupted;
  if (outcome.profileErrors.length > 0 || outcome.harnessFailures.length > 0) return EXIT.infrastructure;
  return outcome.cells.every((cell) => !isUnexpected(cell)) ? EXIT.ok : EXIT.unexpected;
}

/**
 * The whole run: profiles in a pool of `profileConcurrency` (all at once: one group); for each, provision the
 * clusters, apply the scene and layered policies while its attack suites load, run them through vitest (cells are
 * appended to results.jsonl the moment they are known), then tear down. Every created cluster is torn down on success, failure and interrupt.
 */
export async function runMatrix(options: RunMatrixOptions): Promise<RunOutcome> {
  const resultsPath = join(options.outDir, 'results.jsonl');
  const header: RunHeaderLine = {
    type: 'run',
    schemaVersion: RESULTS_SCHEMA_VERSION,
    runId: options.runId,
    harnessVersion: options.harnessVersion,
    provider: options.provider.name,
    startedAt: new Date().toISOString(),
    profiles: options.profiles.map((profile) => ({
      id: profile.id,
      cni: profile.cni,
      mesh: profile.mesh,
      versions: profile.versions,
      provider: options.provider.name,
      isLab: profile.lab !== undefined,
    })),
    attacks: options.attacks.map(({ id, family, title, technique, references }) => ({ id, family, title, technique, references })),
  };
  const run: RunIdentity = { runId: options.runId, provider: options.provider.name };
  // Stops starting attacks: the user's interrupt, or results.jsonl that can no longer be written.
  const stop = new AbortController();
  const onAbort = (): void => stop.abort(options.signal.reason);
  if (options.signal.aborted) onAbort();
  else options.signal.addEventListener('abort', onAbort, { once: true });
  const writer = await ResultsWriter.create(resultsPath, header, {
    onFailure: (error) => {
      options.progress.warn(`cannot write ${resultsPath}: ${error.message} — no further attack starts`);
      stop.abort(error);
    },
    ...(options.openResultsFile ? { openFile: options.openResultsFile } : {}),
  });
  // n/a cells follow from the stacks' traits alone: on disk before any cluster exists.
  const notApplicable = notApplicableCells(run, options.profiles, options.attacks);
  for (const cell of notApplicable.values()) await writer.cell(cell);
  const gate = new AttemptGate(() => stop.signal.aborted);
  const record = async (cell: Cell): Promise<Cell> => {
    const settled = gate.settle(cell);
    if (settled === undefined) return gate.sealedCell(cell.profileId, cell.attackId) ?? cell;
    await writer.cell(settled);
    return settled;
  };
  const recordMeasured = async (cell: Cell): Promise<Cell> => {
    if (inPlace?.has(cell.profileId) !== true) return record(depth === undefined ? cell : await depth.attach(cell));
    // In-place depth: the cell is settled now (the test gets it) and written once its profile's passes are done.
    const settled = gate.settle(cell);
    if (settled === undefined) return gate.sealedCell(cell.profileId, cell.attackId) ?? cell;
    inPlace.hold(settled);
    return settled;
  };
  const socketPath = await privateBrokerSocketPath();
  /** Error cells of profiles that failed to provision: their waiting tests are answered with these. */
  const unprovisioned = new Map<string, Cell>();
  const profileErrors: { profileId: string; message: string }[] = [];
  /**
   * Each cell shown once: a measured one when the broker records it (as it finishes), the others (not applicable,
   * a failed profile's errors) when their test gets them.
   */
  const shown = new Set<string>();
  const showCell = (cell: Cell): void => {
    const key = cellKey(cell.profileId, cell.attackId);
    if (shown.has(key)) return;
    shown.add(key);
    options.progress.cell(cell);
  };
  const reporter = new CellReporter(showCell);
  const broker = await AttackBroker.start({
    socketPath,
    runId: options.runId,
    attacks: options.attacks,
    concurrency: options.concurrency,
    podReadyMs: options.podReadyMs,
    controlRetries: options.controlRetries,
    onCell: async (cell) => {
      const recorded = await recordMeasured(cell);
      showCell(recorded);
      return recorded;
    },
    recorded: (profileId, attackId) => notApplicable.get(cellKey(profileId, attackId)) ?? unprovisioned.get(cellKey(profileId, attackId)),
    onStart: (profileId, attackId) => options.progress.attackStarted(profileId, attackId),
    ...(options.scripts ? { scripts: options.scripts } : {}),
  });
  const onStop = (): void => broker.stopAccepting();
  stop.signal.addEventListener('abort', onStop, { once: true });
  const profilesById = new Map(options.profiles.map((profile) => [profile.id, profile]));
  const attacksById = new Map(options.attacks.map((attack) => [attack.id, attack]));
  /** After a bounded drain: attempts still running are recorded as not-run before their cluster goes. */
  const sealOutlived = async (profileIds?: readonly string[]): Promise<void> => {
    for (const request of broker.running().filter((running) => profileIds === undefined || profileIds.includes(running.profileId))) {
      const profile = profilesById.get(request.profileId);
      const attack = attacksById.get(request.attackId);
      if (profile === undefined || attack === undefined) continue;
      const cell = notRunCell(run, profile, attack, `still running when its cluster was torn down (the ${Math.round(TIMEOUTS.scriptExecMs / 1000)} s drain ended first)`);
      if (gate.seal(cell)) await writer.cell(cell);
    }
  };

  const created: Cluster[] = [];
  const clusters = new Map<string, Cluster>();
  const writePassSelfTest = (line: Omit<SceneSelfTestLine, 'type'>): Promise<void> => writer.scene(line);
  // Depth by ablation: the lab passes' clusters join `created`, so they are torn down with the full stacks'.
  const depth = options.depth === undefined || options.depth.ablation === 'in-place' ? undefined : new DepthPasses({ ...options, renderLayers: options.depth.renderLayers, onCluster: (cluster) => created.push(cluster), onSelfTest: writePassSelfTest });
  const inPlace = options.depth?.ablation !== 'in-place' ? undefined : new InPlaceDepthPasses({ ...options, renderLayers: options.depth.renderLayers, signal: stop.signal, onSelfTest: writePassSelfTest });
  const provision = async (profile: Profile): Promise<BrokerProfile> => {
    options.progress.step(profile.id, 'provisioning');
    depth?.start(profile);
    inPlace?.start(profile);
    const cluster = await options.provider.create(profile, {
      runId: options.runId,
      onProgress: (step) => options.progress.step(profile.id, step),
      signal: options.signal,
      ...(options.syncTeardowns && !options.keep ? { syncTeardowns: options.syncTeardowns } : {}),
    });
    created.push(cluster);
    clusters.set(profile.id, cluster);
    const [scene = [], ...policies] = options.renderScene(profile);
    options.progress.step(profile.id, 'applying scene');
    await cluster.apply(scene);
    options.progress.step(profile.id, 'scene self-test');
    const selfTest = await applyPoliciesWithSelfTest({
      cluster,
      stack: stackTraits(profile),
      scene,
      policies,
      podReadyMs: options.podReadyMs,
      signal: options.signal,
      onProgress: (line) => options.progress.step(profile.id, line),
      ...(options.scripts ? { scripts: options.scripts } : {}),
      ...(options.sceneConvergence ? { convergence: options.sceneConvergence } : {}),
    });
    if (options.signal.aborted) throw new InfrastructureError('scene self-test', 'interrupted');
    await writer.scene({ runId: options.runId, profileId: profile.id, checks: selfTest.checks, passed: selfTest.passed, durationMs: Math.round(selfTest.durationMs), at: new Date().toISOString() });
    const failed = failedChecks(selfTest.checks);
    if (failed.length > 0) {
      // The profile runs no attack: its cells are errors naming the failed preconditions, never blocked.
      throw new InfrastructureError('scene self-test', `failed ${failed.length} of ${selfTest.checks.length} checks: ${failed.map((check) => `${check.name} (expected ${check.expected}, observed ${check.observed})`).join('; ')}`);
    }
    options.progress.step(profile.id, `scene self-test: ${selfTest.checks.length} checks passed in ${Math.round(selfTest.durationMs)} ms`);
    const addresses = await cluster.addresses();
    options.progress.step(profile.id, 'running attacks');
    return { cluster, addresses };
  };

  /** Clusters of these profiles (the full stacks' and their depth passes'), taken out of `created`. */
  const takeClusters = (profileIds: ReadonlySet<string>): Cluster[] => {
    const taken = created.filter((cluster) => profileIds.has(cluster.profile.id));
    created.splice(0, created.length, ...created.filter((cluster) => !profileIds.has(cluster.profile.id)));
    return taken;
  };
  /**
   * One group of profiles from start to teardown. Its suites start with its provisioning: the vitest workers load
   * while the clusters come up, and each test waits in the broker until its profile is registered (or abandoned,
   * then it is answered with the profile's recorded error cell).
   */
  const runGroup = async (group: readonly Profile[]): Promise<void> => {
    if (stop.signal.aborted) return;
    const ids = new Set(group.map((profile) => profile.id));
    for (const profile of group) broker.announce(profile.id);
    const suites = runSuites({
      socketPath,
      profileIds: [...ids],
      attacks: options.attacks,
      // Tests queue in the broker behind the per-profile limit, so a test's budget covers its wait too, and
      // (started with the provisioning) the wait for its cluster.
      testTimeoutMs: TIMEOUTS.profileReadyMs + attackBudgetMs(options) * (Math.ceil(options.attacks.length / options.concurrency) + 1) * (depth === undefined ? 1 : 2),
      reporter,
      signal: stop.signal,
    });
    /** Profiles whose cluster passed its self-test (in-place depth passes run on these). */
    const ready: string[] = [];
    const provisioned = Promise.all(
      group.map(async (profile) => {
        try {
          const brokerProfile = await provision(profile);
          options.progress.profileTotal(profile.id, options.attacks.length);
          // Its attacks start now, whether or not a suite has asked yet.
          broker.register(profile.id, brokerProfile);
          ready.push(profile.id);
        } catch (error) {
          const message = (error as Error).message;
          if (!options.signal.aborted) {
            profileErrors.push({ profileId: profile.id, message });
            options.progress.warn(`${profile.id}: ${message}`);
            await writer.profileError({ runId: options.runId, profileId: profile.id, component: 'provisioning', message, at: new Date().toISOString() });
            // The matrix shows the column as errors: an unprovisioned stack blocked nothing.
            for (const attack of options.attacks) {
              if (notApplicable.has(cellKey(profile.id, attack.id))) continue;
              const cell = infrastructureErrorCell(run, profile, attack, message);
              unprovisioned.set(cellKey(profile.id, attack.id), cell);
              await writer.cell(cell);
            }
          }
          broker.abandon(profile.id);
        }
      }),
    );
    const [suitesDone] = await Promise.allSettled([suites, provisioned]);
    await broker.drain(TIMEOUTS.scriptExecMs);
    await depth?.settle([...ids]);
    // Attempts that outlived the drain are sealed before an in-place pass changes their cluster's policies.
    await sealOutlived([...ids]);
    for (const profileId of ids) broker.unregister(profileId);
    if (inPlace !== undefined) await runInPlacePasses(inPlace, ready, profilesById, clusters, writer);
    if (!options.keep) await teardownAll(takeClusters(ids), options.progress);
    if (suitesDone.status === 'rejected') throw suitesDone.reason;
  };

  try {
    // Profiles in a pool: the next one starts as soon as any finishes (kind: within the memory budget
    // `profileConcurrency` stands for). All at once (the lab), they share one group: one set of suite workers.
    const groups = options.profileConcurrency >= options.profiles.length ? [options.profiles] : options.profiles.map((profile) => [profile]);
    const slots = pLimit(Math.max(1, options.profileConcurrency));
    const ran = await Promise.allSettled(groups.map((group) => slots(() => runGroup(group))));
    const failed = ran.find((result) => result.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  } finally {
    options.signal.removeEventListener('abort', onAbort);
    stop.signal.removeEventListener('abort', onStop);
    await broker.drain(TIMEOUTS.scriptExecMs);
    await sealOutlived();
    await broker.close();
    // Cells an early end left held (an error or interrupt around the passes): written with what depth is known.
    for (const cell of inPlace?.takeAll() ?? []) await writer.cell(cell);
    if (!options.keep) await teardownAll(created.splice(0), options.progress);
    await writer.end(options.runId, options.signal.aborted);
    await writer.flushed();
  }
  const writeFailure = writer.failed();
  const outcome = {
    cells: writer.written(),
    profileErrors,
    // Tests the stop left without a cell are not harness failures: they are the cells not run.
    harnessFailures: stop.signal.aborted ? [] : reporter.harnessFailures(),
    interrupted: options.signal.aborted,
    ...(writeFailure === undefined ? {} : { writeFailure }),
  };
  return { ...outcome, resultsPath, exitCode: exitCodeFor(outcome) };
}

/** Each ready profile's in-place passes (profiles have distinct clusters: they run side by side), then its held cells. */
async function runInPlacePasses(inPlace: InPlaceDepthPasses, ready: readonly string[], profiles: ReadonlyMap<string, Profile>, clusters: ReadonlyMap<string, Cluster>, writer: ResultsWriter): Promise<void> {
  await Promise.all(
    ready.map(async (profileId) => {
      const profile = profiles.get(profileId);
      const cluster = clusters.get(profileId);
      if (profile !== undefined && cluster !== undefined) await inPlace.run(profile, cluster);
      for (const cell of inPlace.take(profileId)) await writer.cell(cell);
    }),
  );
}

/** Worst case of one attack: pods ready, control retries and attempt scripts, the sink, evidence. */
function attackBudgetMs(options: RunMatrixOptions): number {
  return (options.podReadyMs + TIMEOUTS.scriptExecMs) * (options.controlRetries + 2) + TIMEOUTS.sinkSettleMs + TIMEOUTS.evidenceMs;
}

async function teardownAll(clusters: readonly Cluster[], progress: Progress): Promise<void> {
  await Promise.all(
    clusters.map(async (cluster) => {
      progress.step(cluster.profile.id, 'tearing down');
      try {
        await cluster.teardown();
        progress.step(cluster.profile.id, 'torn down');
      } catch (error) {
        progress.warn(`${cluster.profile.id}: teardown failed, leftovers may remain (run \`breachmatrix clean\`): ${(error as Error).message}`);
      }
    }),
  );
}
