import type { Cell } from '../domain/cell.ts';
import type { ResultLine } from '../domain/results.ts';

/** Seconds from the launch of `breachmatrix run` to each phase's end; undefined when the run never reached it. */
export interface RunPhases {
  /** Node, tsx and the host checks: the results header is written. */
  readonly startUp?: number;
  /** Every stack's (and depth pass's) lab is up: the last `applying scene`. */
  readonly labsUp?: number;
  /** The last full stack passed its scene self-test. */
  readonly selfTests?: number;
  /** The first measured (not n/a) cell started: suite workers loaded and a profile ready. */
  readonly firstCellStart?: number;
  /** The first measured cell was known. */
  readonly firstCell?: number;
  /** The last cell (depth passes included: a full-stack cell waits for its passes). */
  readonly lastCell?: number;
  /** Every cluster torn down. */
  readonly tornDown?: number;
  /** results.jsonl closed (reports follow). */
  readonly end?: number;
}

export interface RunProfile {
  readonly phases: RunPhases;
  /** Scene self-test duration per full stack, seconds. */
  readonly selfTestByStack: Readonly<Record<string, number>>;
  readonly cells: number;
  readonly asExpected: number;
  /** Each cell not as expected, `profile attack: outcome — reason`, so a run's output dir need not be kept to say which. */
  readonly unexpected: readonly string[];
  /** Sum of every measured cell's attempt and control durations, seconds (what a sequential runner would pay). */
  readonly cellSeconds: number;
}

/** `[lab:netpol] applying scene (2.3s)`: the CLI's plain progress lines (CI=true), seconds since the run began. */
const PROGRESS_LINE = /^\[([^\]]+)\] (.*) \((\d+(?:\.\d+)?)s\)$/;

function measured(cell: Cell): boolean {
  return cell.outcome !== 'not-applicable' && cell.attempts > 0;
}

function maxOf(values: readonly number[]): number | undefined {
  return values.length === 0 ? undefined : Math.max(...values);
}

function minOf(values: readonly number[]): number | undefined {
  return values.length === 0 ? undefined : Math.min(...values);
}

/**
 * Where one run's time went, from its results.jsonl (absolute timestamps) and its progress lines on stderr
 * (seconds since the runner's start, placed on the same clock by the header's time). `launchedAt`: epoch ms at spawn.
 */
export function profileRun(lines: readonly ResultLine[], stderr: string, launchedAt: number): RunProfile {
  const header = lines.find((line) => line.type === 'run');
  const since = (iso: string): number => (Date.parse(iso) - launchedAt) / 1000;
  const runStart = header === undefined ? undefined : since(header.startedAt);
  const cells = lines.flatMap((line) => (line.type === 'cell' ? [line.cell] : []));
  const measuredCells = cells.filter(measured);
  const scenes = lines.flatMap((line) => (line.type === 'scene' ? [line] : []));
  const end = lines.find((line) => line.type === 'end');

  const progress = stderr.split('\n').flatMap((text) => {
    const match = PROGRESS_LINE.exec(text.trim());
    if (match === null || runStart === undefined) return [];
    const [, profile = '', step = '', seconds = '0'] = match;
    return [{ profile, step, at: runStart + Number(seconds) }];
  });
  const stepTimes = (test: (step: string) => boolean): number[] => progress.filter((line) => test(line.step)).map((line) => line.at);

  return {
    phases: {
      ...(runStart === undefined ? {} : { startUp: runStart }),
      ...optional('labsUp', maxOf(stepTimes((step) => step === 'applying scene' || /^depth [^:]+: lab .*: kube-dns and the internet sink$/.test(step)))),
      ...optional('selfTests', maxOf(scenes.map((scene) => since(scene.at)))),
      ...optional('firstCellStart', minOf(measuredCells.map((cell) => since(cell.timings.startedAt)))),
      ...optional('firstCell', minOf(measuredCells.map((cell) => since(cell.timings.finishedAt)))),
      ...optional('lastCell', maxOf(cells.map((cell) => since(cell.timings.finishedAt)))),
      ...optional('tornDown', maxOf(stepTimes((step) => step === 'torn down'))),
      ...(end?.type === 'end' ? { end: since(end.finishedAt) } : {}),
    },
    selfTestByStack: Object.fromEntries(scenes.map((scene) => [scene.profileId, scene.durationMs / 1000])),
    cells: cells.length,
    asExpected: cells.filter((cell) => cell.asExpected).length,
    unexpected: cells.filter((cell) => !cell.asExpected).map((cell) => `${cell.profileId} ${cell.attackId}: ${cell.outcome} — ${(cell.reason ?? '').slice(0, 300)}`),
    cellSeconds: measuredCells.reduce((total, cell) => total + cell.timings.attemptMs + cell.timings.controlMs, 0) / 1000,
  };
}

function optional<K extends keyof RunPhases>(key: K, value: number | undefined): Partial<Record<K, number>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, number>);
}

/** The phases in run order, with the label the bench prints. */
export const PHASE_LABELS: readonly (readonly [keyof RunPhases, string])[] = [
  ['startUp', 'start-up'],
  ['labsUp', 'labs up'],
  ['selfTests', 'self-tests'],
  ['firstCellStart', '1st cell start'],
  ['firstCell', '1st cell'],
  ['lastCell', 'last cell'],
  ['tornDown', 'torn down'],
  ['end', 'results closed'],
];
