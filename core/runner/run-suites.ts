import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BaseSequencer, createVitest, type TestSpecification } from 'vitest/node';
import type { AttackDefinition, AttackFamily } from '../domain/attack.ts';
import { CellReporter } from './cell-reporter.ts';
import type { SuiteContext } from './suite-context.ts';

/**
 * Suite worker processes of a run. The broker runs every attack of a ready profile without being asked, so a test
 * only picks up its cell: one worker, reused across all suite files (`isolate: false`), serves the whole matrix.
 * Each worker costs ~0.3 CPU-s to load vitest and the suites; one per file and profile cost ~10 CPU-s a run.
 */
export const SUITE_WORKERS = 1;

/** The one vitest project of the attack suites; its tests are named `<family> on <profile>`. */
export const SUITE_PROJECT = 'attack-suites';

/**
 * Nice value of the suite workers. They start with the provisioning and only relay requests to the broker, so
 * their start-up (loading vitest, ~0.3 CPU-s each) must not take the CPU the lab's pods and proxies need to get
 * ready within their deadlines on a loaded host.
 */
export const SUITE_WORKER_NICE = 10;

/** Node flags of a suite worker: lower its own priority before anything else loads (Linux: the loading thread). */
export function suiteWorkerExecArgv(): string[] {
  return [`--import=data:text/javascript,import{setPriority}from"node:os";setPriority(${SUITE_WORKER_NICE});`];
}

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface SuiteRunOptions {
  readonly socketPath: string;
  readonly profileIds: readonly string[];
  readonly attacks: readonly AttackDefinition[];
  /** Budget of one attack test: pod creation, control and attempt, evidence. */
  readonly testTimeoutMs: number;
  readonly reporter: CellReporter;
  readonly signal: AbortSignal;
}

/** Suite file of a family, e.g. `suites/sidecar-bypass.test.ts`. */
function suiteFile(family: AttackFamily): string {
  return `suites/${family}.test.ts`;
}

/**
 * The suite files of the selected families. The one worker takes them one after another and the broker runs the
 * attacks in catalogue order, so they are listed by the catalogue position of each family's last attack: the family
 * that finishes last comes last, and no file is left to visit (seconds for a niced worker on a loaded host) after
 * the last cell.
 */
export function suiteFilesInCatalogueOrder(attacks: readonly Pick<AttackDefinition, 'family'>[]): string[] {
  const lastPosition = new Map<AttackFamily, number>();
  attacks.forEach((attack, index) => lastPosition.set(attack.family, index));
  return [...lastPosition.entries()].sort((a, b) => a[1] - b[1]).map(([family]) => suiteFile(family));
}

/** A vitest sequencer that runs the files in the order given (vitest's own puts the longest last run first). */
export function listedOrderSequencer(files: readonly string[]): typeof BaseSequencer {
  const position = new Map(files.map((file, index) => [resolve(REPO_ROOT, file), index]));
  return class ListedOrder extends BaseSequencer {
    override async sort(specs: TestSpecification[]): Promise<TestSpecification[]> {
      return [...specs].sort((a, b) => (position.get(a.moduleId) ?? files.length) - (position.get(b.moduleId) ?? files.length));
    }
  };
}

/**
 * Runs the attack suites with vitest: one project, only the suite files of families that have selected attacks;
 * each file describes its family once per profile (the profile ids ride on the provided context).
 */
export async function runSuites(options: SuiteRunOptions): Promise<void> {
  const include = suiteFilesInCatalogueOrder(options.attacks);
  const breachmatrix: SuiteContext = {
    socketPath: options.socketPath,
    profileIds: options.profileIds,
    attacks: options.attacks.map(({ id, title, family }) => ({ id, title, family })),
  };
  const signalsBefore = { SIGINT: process.listeners('SIGINT'), SIGTERM: process.listeners('SIGTERM') };
  // Forked processes, not threads: worker threads would grow this process (the one that spawns every lab command)
  // from ~0.3 to ~1.1 GB, and each fork() of it copies page tables for that memory and then pays copy-on-write
  // faults: most of the run's kernel time (issue 16).
  const workers = { pool: 'forks', maxWorkers: SUITE_WORKERS, isolate: false } as const;
  const vitest = await createVitest('test', {
    config: false,
    root: REPO_ROOT,
    watch: false,
    reporters: [options.reporter],
    sequence: { sequencer: listedOrderSequencer(include) },
    ...workers,
    projects: [
      {
        extends: false,
        test: {
          name: SUITE_PROJECT,
          root: REPO_ROOT,
          include,
          provide: { breachmatrix },
          ...workers,
          // Per project: projects that do not extend the root config do not inherit its worker flags.
          execArgv: suiteWorkerExecArgv(),
          testTimeout: options.testTimeoutMs,
          // The broker enforces the real per-profile limit; vitest only must not serialise the tests.
          maxConcurrency: 1000,
        },
      },
    ],
  });
  // Vitest's logger exits the process 1 ms after SIGINT/SIGTERM. The runner owns interrupts (stop attacks, tear
  // down, write reports), so the listeners vitest just added are taken off again.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    for (const listener of process.listeners(signal)) {
      if (!signalsBefore[signal].includes(listener)) process.off(signal, listener);
    }
  }
  const cancel = (): void => void vitest.cancelCurrentRun('keyboard-input');
  options.signal.addEventListener('abort', cancel, { once: true });
  try {
    if (!options.signal.aborted) await vitest.start();
  } finally {
    options.signal.removeEventListener('abort', cancel);
    await vitest.close();
  }
}
