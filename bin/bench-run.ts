/**
 * Benchmark of a whole lab run: wall time of `breachmatrix run --provider lab` over the four lab stacks, against
 * the sum of every attempt's and control's own duration (what a sequential runner would pay). Run as root:
 *   npx tsx bin/bench-run.ts [--runs N] [--profile lab:netpol,...]
 * Prints one line per run and the medians. Not a test: speed is measured here, not asserted in CI.
 */
import { execa } from 'execa';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { ResultLine } from '../core/domain/results.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    profile: { type: 'string', default: 'lab:none,lab:netpol,lab:sidecar,lab:netpol+sidecar' },
    concurrency: { type: 'string', default: '16' },
  },
});
const BIN = fileURLToPath(new URL('./breachmatrix.js', import.meta.url));

function median(numbers: readonly number[]): number {
  const sorted = [...numbers].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

const walls: number[] = [];
const sums: number[] = [];
for (let run = 1; run <= Number(values.runs); run += 1) {
  const out = await mkdtemp(join(tmpdir(), 'bm-bench-'));
  const started = performance.now();
  const result = await execa(process.execPath, [BIN, 'run', '--provider', 'lab', '--profile', values.profile, '--concurrency', values.concurrency, '--out', out], {
    reject: false,
    env: { CI: 'true', NO_COLOR: '1' },
  });
  const wall = (performance.now() - started) / 1000;
  const lines = (await readFile(join(out, 'results.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as ResultLine);
  const cells = lines.flatMap((line) => (line.type === 'cell' ? [line.cell] : []));
  const sum = cells.reduce((total, cell) => total + cell.timings.attemptMs + cell.timings.controlMs, 0) / 1000;
  walls.push(wall);
  sums.push(sum);
  console.log(`run ${run}: exit ${result.exitCode}, ${cells.length} cells, wall ${wall.toFixed(1)} s, sum of attempt+control durations ${sum.toFixed(1)} s, speed-up ${(sum / wall).toFixed(1)}×`);
}
console.log(`median: wall ${median(walls).toFixed(1)} s, sequential-equivalent ${median(sums).toFixed(1)} s, speed-up ${(median(sums) / median(walls)).toFixed(1)}×`);
