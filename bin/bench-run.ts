/**
 * Benchmark of a whole lab run: wall time of `breachmatrix run --provider lab` over every lab stack, against
 * the sum of every attempt's and control's own duration (what a sequential runner would pay). Run as root:
 *   npm run bench -- [--runs N] [--profile lab:netpol,...] [--concurrency N]
 * Prints one line per run and the medians. Not a test: speed is measured here, not asserted in CI.
 */
import { execa } from 'execa';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { LAB_STACKS } from '../core/domain/profile.ts';
import type { ResultLine } from '../core/domain/results.ts';

const USAGE = `Usage: npm run bench -- [options]   (or: npx tsx bin/bench-run.ts [options]; as root)

Times a whole \`breachmatrix run --provider lab\` and compares it with the sum of every attempt's and control's
own duration (what a sequential runner would pay). Prints one line per run and the medians.

Options:
  --runs <n>          how many runs (default: 3)
  --profile <ids>     comma-separated lab stacks (default: all: ${LAB_STACKS.join(',')})
  --concurrency <n>   attacks at once per profile (default: 16)
  -h, --help          show this help
`;

function parseFlags(): { runs: number; profile: string; concurrency: string } {
  let values: { runs: string; profile: string; concurrency: string; help: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        runs: { type: 'string', default: '3' },
        profile: { type: 'string', default: LAB_STACKS.join(',') },
        concurrency: { type: 'string', default: '16' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    process.stderr.write(`bench-run: ${(error as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) {
    process.stderr.write(`bench-run: --runs must be a whole number >= 1, got "${values.runs}"\n\n${USAGE}`);
    process.exit(2);
  }
  return { runs, profile: values.profile, concurrency: values.concurrency };
}

const values = parseFlags();
const BIN = fileURLToPath(new URL('./breachmatrix.js', import.meta.url));

function median(numbers: readonly number[]): number {
  const sorted = [...numbers].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

const walls: number[] = [];
const sums: number[] = [];
for (let run = 1; run <= values.runs; run += 1) {
  const out = await mkdtemp(join(tmpdir(), 'bm-bench-'));
  const started = performance.now();
  const result = await execa(process.execPath, [BIN, 'run', '--provider', 'lab', '--profile', values.profile, '--concurrency', values.concurrency, '--out', out], {
    reject: false,
    env: { CI: 'true', NO_COLOR: '1' },
  });
  const wall = (performance.now() - started) / 1000;
  const text = await readFile(join(out, 'results.jsonl'), 'utf8').catch(() => undefined);
  if (text === undefined) {
    process.stderr.write(`bench-run: run ${run} wrote no results.jsonl (exit ${result.exitCode}):\n${result.stderr}\n`);
    process.exit(3);
  }
  const lines = text.trim().split('\n').map((line) => JSON.parse(line) as ResultLine);
  const cells = lines.flatMap((line) => (line.type === 'cell' ? [line.cell] : []));
  const sum = cells.reduce((total, cell) => total + cell.timings.attemptMs + cell.timings.controlMs, 0) / 1000;
  walls.push(wall);
  sums.push(sum);
  console.log(`run ${run}: exit ${result.exitCode}, ${cells.length} cells, wall ${wall.toFixed(1)} s, sum of attempt+control durations ${sum.toFixed(1)} s, speed-up ${(sum / wall).toFixed(1)}×`);
}
console.log(`median: wall ${median(walls).toFixed(1)} s, sequential-equivalent ${median(sums).toFixed(1)} s, speed-up ${(median(sums) / median(walls)).toFixed(1)}×`);
