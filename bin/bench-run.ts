/**
 * Benchmark of a whole lab run, optionally side by side with another build: wall time of `breachmatrix run
 * --provider lab`, where the time went (phases), CPU, and the sum of every attempt's and control's own duration
 * (what a sequential runner would pay). Run as root:
 *   npm run bench -- [--runs N] [--baseline <git ref> | --other <checkout>] [--profile …] [--concurrency N]
 * With a second build the runs interleave (A B A B …) so both see the same noisy machine; a speed claim is the
 * A/B ratio of medians. Not a test: speed is measured here, not asserted in CI.
 */
import { execa } from 'execa';
import { chmod, lstat, mkdtemp, readFile, realpath, rm, symlink } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PHASE_LABELS, profileRun, type RunProfile } from '../core/bench/run-profile.ts';
import { LAB_STACKS } from '../core/domain/profile.ts';
import type { ResultLine } from '../core/domain/results.ts';

const USAGE = `Usage: npm run bench -- [options]   (or: npx tsx bin/bench-run.ts [options]; as root)

Times whole \`breachmatrix run --provider lab\` runs: wall, phases (start-up, labs up, scene self-tests, first cell,
last cell, teardown), CPU, cells as expected, and the ratio of wall time to the sum of every attempt's and
control's own duration. With --baseline or --other, runs this tree (A) and the other build (B) interleaved,
A B A B …, and prints the medians and the A/B ratios.

Options:
  --runs <n>          runs per build (default: 3)
  --baseline <ref>    B = this git ref (e.g. main), checked out with \`git worktree add\` into a private temp folder
                      (node_modules linked to this tree's), removed afterwards
  --other <dir>       B = another checkout (root-owned, not writable by group or others)
  --profile <ids>     comma-separated lab stacks (default: all: ${LAB_STACKS.join(',')})
  --concurrency <n>   attacks at once per profile (default: the CLI's)
  -h, --help          show this help
`;

interface Flags {
  readonly runs: number;
  readonly profile: string;
  readonly concurrency?: string;
  readonly baseline?: string;
  readonly other?: string;
}

function fail(message: string): never {
  process.stderr.write(`bench-run: ${message}\n\n${USAGE}`);
  process.exit(2);
}

/** A problem found once the private folder exists: reported after cleaning up, with its exit code. */
class BenchError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(message);
    this.exitCode = exitCode;
  }
}

function parseFlags(): Flags {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        runs: { type: 'string', default: '3' },
        profile: { type: 'string', default: LAB_STACKS.join(',') },
        concurrency: { type: 'string' },
        baseline: { type: 'string' },
        other: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    fail((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) fail(`--runs must be a whole number >= 1, got "${values.runs}"`);
  if (values.baseline !== undefined && values.other !== undefined) fail('--baseline and --other are exclusive: one second build');
  if (values.concurrency !== undefined && !/^[1-9]\d*$/.test(values.concurrency)) fail(`--concurrency must be a whole number >= 1, got "${values.concurrency}"`);
  return {
    runs,
    profile: values.profile,
    ...(values.concurrency === undefined ? {} : { concurrency: values.concurrency }),
    ...(values.baseline === undefined ? {} : { baseline: values.baseline }),
    ...(values.other === undefined ? {} : { other: values.other }),
  };
}

interface Build {
  readonly name: string;
  /** What it is: this tree, a git ref at a commit, or a checkout. */
  readonly describe: string;
  readonly root: string;
}

interface Measured extends RunProfile {
  readonly exitCode: number;
  readonly wall: number;
  readonly user?: number;
  readonly sys?: number;
  readonly load: number;
}

const THIS_TREE = fileURLToPath(new URL('../', import.meta.url));

/** Root runs another checkout's code: only one no other user could have changed (owner root, no group/other write). */
async function requireRootOwned(path: string): Promise<void> {
  const info = await lstat(path).catch(() => undefined);
  if (info === undefined) throw new BenchError(`--other: ${path} does not exist`, 2);
  if (info.isSymbolicLink()) throw new BenchError(`--other: ${path} is a symbolic link; give the checkout's real path`, 2);
  if (info.uid !== 0 || (info.mode & 0o022) !== 0) throw new BenchError(`--other: ${path} must be owned by root and not writable by group or others (uid ${info.uid}, mode ${(info.mode & 0o777).toString(8)})`, 2);
}

async function gitHead(root: string): Promise<string> {
  return (await execa('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { reject: false })).stdout.trim() || '?';
}

/** The baseline's checkout in `privateDir` (0700, ours): a detached worktree of `ref`, this tree's node_modules linked. */
async function checkOutBaseline(ref: string, privateDir: string): Promise<Build> {
  const root = join(privateDir, 'baseline');
  const added = await execa('git', ['-C', THIS_TREE, 'worktree', 'add', '--detach', root, ref], { reject: false });
  if (added.exitCode !== 0) throw new BenchError(`--baseline: cannot check out "${ref}": ${added.stderr.trim()}`, 2);
  await symlink(await realpath(join(THIS_TREE, 'node_modules')), join(root, 'node_modules'));
  return { name: 'B', describe: `${ref} (${await gitHead(root)})`, root };
}

async function removeBaseline(build: Build | undefined): Promise<void> {
  if (build === undefined) return;
  await execa('git', ['-C', THIS_TREE, 'worktree', 'remove', '--force', build.root], { reject: false });
}

/** `/usr/bin/time -f '%U %S'` around the run: the CPU of the whole process tree (labs, proxies, scripts). */
async function timeTool(): Promise<string | undefined> {
  return (await lstat('/usr/bin/time').then(() => true, () => false)) ? '/usr/bin/time' : undefined;
}

async function runOnce(build: Build, flags: Flags, out: string, time: string | undefined): Promise<Measured> {
  const bin = join(build.root, 'bin', 'breachmatrix.js');
  const args = [bin, 'run', '--provider', 'lab', '--profile', flags.profile, ...(flags.concurrency ? ['--concurrency', flags.concurrency] : []), '--out', join(out, 'results')];
  const cpuFile = join(out, 'cpu');
  const [file, ...rest] = time === undefined ? [process.execPath, ...args] : [time, '-o', cpuFile, '-f', '%U %S', process.execPath, ...args];
  const load = loadavg()[0] ?? 0;
  const launchedAt = Date.now();
  const started = performance.now();
  const result = await execa(file ?? process.execPath, rest, { reject: false, cwd: build.root, env: { CI: 'true', NO_COLOR: '1' } });
  const wall = (performance.now() - started) / 1000;
  const text = await readFile(join(out, 'results', 'results.jsonl'), 'utf8').catch(() => undefined);
  if (text === undefined) throw new BenchError(`${build.name} wrote no results.jsonl (exit ${result.exitCode}):\n${result.stderr.slice(-4000)}`, 3);
  const lines = text.trim().split('\n').map((line) => JSON.parse(line) as ResultLine);
  const cpu = (await readFile(cpuFile, 'utf8').catch(() => '')).trim().split('\n').at(-1)?.split(' ').map(Number) ?? [];
  const [user, sys] = cpu;
  return {
    ...profileRun(lines, result.stderr, launchedAt),
    exitCode: result.exitCode ?? -1,
    wall,
    ...(user !== undefined && Number.isFinite(user) ? { user } : {}),
    ...(sys !== undefined && Number.isFinite(sys) ? { sys } : {}),
    load,
  };
}

const seconds = (value: number | undefined): string => (value === undefined ? '—' : `${value.toFixed(1)}`);

function describeRun(build: Build, index: number, run: Measured): string {
  const phases = PHASE_LABELS.map(([key, label]) => `${label} ${seconds(run.phases[key])}`).join(', ');
  const selfTests = Object.entries(run.selfTestByStack).map(([stack, value]) => `${stack} ${value.toFixed(1)}`).join(', ');
  return [
    `${build.name} run ${index}: exit ${run.exitCode}, ${run.asExpected}/${run.cells} cells as expected, wall ${seconds(run.wall)} s, first cell ${seconds(run.phases.firstCell)} s, ` +
      `CPU user ${seconds(run.user)} s sys ${seconds(run.sys)} s, load ${run.load.toFixed(1)}, ` +
      `sum of attempt+control ${seconds(run.cellSeconds)} s (${(run.cellSeconds / run.wall).toFixed(1)}× the wall)`,
    `    phases (s since launch): ${phases}`,
    `    scene self-test per stack (s): ${selfTests}`,
  ].join('\n');
}

function median(numbers: readonly (number | undefined)[]): number | undefined {
  const known = numbers.filter((value): value is number => value !== undefined).sort((a, b) => a - b);
  if (known.length === 0) return undefined;
  const middle = Math.floor(known.length / 2);
  return known.length % 2 === 1 ? known[middle] : ((known[middle - 1] ?? 0) + (known[middle] ?? 0)) / 2;
}

interface Summary {
  readonly label: string;
  readonly of: (run: Measured) => number | undefined;
}

const SUMMARY: readonly Summary[] = [
  { label: 'wall', of: (run) => run.wall },
  ...PHASE_LABELS.map(([key, label]): Summary => ({ label, of: (run) => run.phases[key] })),
  { label: 'CPU user', of: (run) => run.user },
  { label: 'CPU sys', of: (run) => run.sys },
  { label: 'sum attempt+control', of: (run) => run.cellSeconds },
  { label: 'load (1 min)', of: (run) => run.load },
];

function printMedians(builds: readonly Build[], results: ReadonlyMap<string, Measured[]>): void {
  const [a, b] = builds;
  const header = builds.map((build) => build.name.padStart(9)).join('') + (b === undefined ? '' : '      A/B');
  console.log(`\nmedians over ${results.get(a?.name ?? '')?.length ?? 0} run(s) per build, seconds\n${''.padEnd(22)}${header}`);
  for (const row of SUMMARY) {
    const values = builds.map((build) => median((results.get(build.name) ?? []).map(row.of)));
    const ratio = values.length === 2 && values[0] !== undefined && values[1] !== undefined && values[1] > 0 ? `${(values[0] / values[1]).toFixed(2)}`.padStart(9) : '';
    console.log(`${row.label.padEnd(22)}${values.map((value) => seconds(value).padStart(9)).join('')}${ratio}`);
  }
  for (const build of builds) {
    const runs = results.get(build.name) ?? [];
    console.log(`${build.name} = ${build.describe}: ${runs.filter((run) => run.exitCode === 0 && run.asExpected === run.cells).length}/${runs.length} runs exit 0 with every cell as expected`);
  }
}

const flags = parseFlags();
const privateDir = await mkdtemp(join(tmpdir(), 'bm-bench-'));
await chmod(privateDir, 0o700);
let interrupted = false;
// The run being measured gets the same SIGINT and tears its labs down; the bench then cleans up and stops.
process.on('SIGINT', () => {
  interrupted = true;
});
let baseline: Build | undefined;
try {
  const builds: Build[] = [{ name: 'A', describe: `this tree ${THIS_TREE} (${await gitHead(THIS_TREE)}, uncommitted changes included)`, root: THIS_TREE }];
  if (flags.baseline !== undefined) {
    baseline = await checkOutBaseline(flags.baseline, privateDir);
    builds.push(baseline);
  } else if (flags.other !== undefined) {
    const root = await realpath(flags.other);
    await requireRootOwned(root);
    await requireRootOwned(join(root, 'bin', 'breachmatrix.js'));
    builds.push({ name: 'B', describe: `checkout ${root} (${await gitHead(root)})`, root });
  }
  for (const build of builds) console.log(`${build.name} = ${build.describe}`);
  const time = await timeTool();
  if (time === undefined) console.log('(no /usr/bin/time: CPU not measured)');
  const results = new Map<string, Measured[]>(builds.map((build) => [build.name, []]));
  for (let index = 1; index <= flags.runs && !interrupted; index += 1) {
    for (const build of builds) {
      if (interrupted) break;
      const out = await mkdtemp(join(privateDir, `${build.name}-${index}-`));
      const run = await runOnce(build, flags, out, time);
      console.log(describeRun(build, index, run));
      for (const cell of run.unexpected) console.log(`    not as expected: ${cell}`);
      // A run cut short by the interrupt measured nothing whole: printed, never in the medians.
      if (!interrupted) results.get(build.name)?.push(run);
      await rm(out, { recursive: true, force: true });
    }
  }
  printMedians(builds, results);
} catch (error) {
  if (!(error instanceof BenchError)) throw error;
  process.stderr.write(`bench-run: ${error.message}\n`);
  process.exitCode = error.exitCode;
} finally {
  await removeBaseline(baseline);
  await rm(privateDir, { recursive: true, force: true });
}
if (interrupted) process.exit(130);
