/**
 * Determinism, measured: runs the lab matrix at several concurrencies, several times in a row, and prints every
 * cell whose outcome, blocking layer or confidence is not the same in all runs. Run as root (the lab needs it):
 *   npx tsx bin/determinism.ts [--concurrency 1,64] [--repeats 3] [--profile lab:netpol,...] [--attack SC1,...]
 * Exit codes: 0 no flip · 1 at least one flip (or a cell missing from a run) · 2 bad arguments ·
 * 3 a run failed (infrastructure or interrupted): its cells cannot be compared.
 */
import { execa } from 'execa';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isUnexpected } from '../core/domain/cell.ts';
import { EXIT } from '../core/domain/errors.ts';
import { findFlips, renderFlips, type LabelledRun } from '../reports/cell-flips.ts';
import { readResults } from '../reports/read-results.ts';

const USAGE = `Usage: npx tsx bin/determinism.ts [options]   (npm run determinism -- [options])

Runs \`breachmatrix run --provider lab\` at each concurrency, --repeats times in a row, and prints every cell
whose outcome / blockedBy / confidence differs between runs (one column per run: c<concurrency>#<repeat>).

Options:
  --concurrency <n,...>  attack concurrencies to compare (default: 1,64)
  --repeats <n>          runs per concurrency, in a row (default: 3)
  --profile <id,...>     lab profiles (default: every lab profile)
  --attack <id,...>      attacks or families (default: the whole catalogue)
  --out <dir>            where each run's --out goes (default: a new temp dir)
  -h, --help             this help

Exit: 0 no flip · 1 a flip or a cell missing from a run · 2 bad arguments · 3 a run failed or was interrupted`;

const BIN = fileURLToPath(new URL('./breachmatrix.js', import.meta.url));

function wholeNumbers(text: string, flag: string, max: number): number[] {
  const values = text.split(',').map((part) => part.trim());
  if (values.some((value) => !/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max)) {
    throw new Error(`${flag}: "${text}" must be whole numbers from 1 to ${max}, comma-separated`);
  }
  return values.map(Number);
}

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        concurrency: { type: 'string', default: '1,64' },
        repeats: { type: 'string', default: '3' },
        profile: { type: 'string' },
        attack: { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    process.stderr.write(`determinism: ${(error as Error).message}\n${USAGE}\n`);
    return EXIT.badInput;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }
  let concurrencies: number[];
  let repeats: number;
  try {
    concurrencies = wholeNumbers(values.concurrency, '--concurrency', 256);
    [repeats = 1] = wholeNumbers(values.repeats, '--repeats', 20);
  } catch (error) {
    process.stderr.write(`determinism: ${(error as Error).message}\n`);
    return EXIT.badInput;
  }
  const root = values.out ?? (await mkdtemp(join(tmpdir(), 'bm-determinism-')));
  const selection = [...(values.profile ? ['--profile', values.profile] : []), ...(values.attack ? ['--attack', values.attack] : [])];
  process.stdout.write(`determinism: ${concurrencies.length} concurrencies × ${repeats} runs, results under ${root}\n`);

  const runs: LabelledRun[] = [];
  const failed: string[] = [];
  for (const concurrency of concurrencies) {
    for (let repeat = 1; repeat <= repeats; repeat += 1) {
      const label = `c${concurrency}#${repeat}`;
      const out = join(root, label);
      const started = performance.now();
      const result = await execa(process.execPath, [BIN, 'run', '--provider', 'lab', '--concurrency', String(concurrency), ...selection, '--out', out], {
        reject: false,
        env: { CI: 'true', NO_COLOR: '1' },
      });
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      // 0 and 1 (unexpected cells) are complete runs; anything else cannot be compared cell by cell.
      if (result.exitCode !== EXIT.ok && result.exitCode !== EXIT.unexpected) {
        failed.push(`${label} exited ${result.exitCode ?? result.signal}: ${result.stderr.trim().split('\n').slice(-3).join(' | ')}`);
        process.stdout.write(`${label}: exit ${result.exitCode ?? result.signal} after ${seconds} s — not comparable\n`);
        continue;
      }
      const results = await readResults([join(out, 'results.jsonl')]);
      const unexpected = results.cells.filter(isUnexpected).length;
      const inconclusive = results.cells.filter((cell) => cell.outcome === 'inconclusive').length;
      process.stdout.write(`${label}: exit ${result.exitCode}, ${results.cells.length} cells, ${unexpected} unexpected, ${inconclusive} inconclusive, wall ${seconds} s\n`);
      runs.push({ label, cells: results.cells });
    }
  }
  const cellCount = new Set(runs.flatMap((run) => run.cells.map((cell) => `${cell.profileId} ${cell.attackId}`))).size;
  const flips = findFlips(runs);
  process.stdout.write(renderFlips(flips, cellCount));
  for (const failure of failed) process.stdout.write(`failed run: ${failure}\n`);
  if (flips.length > 0) return EXIT.unexpected;
  return failed.length > 0 ? EXIT.infrastructure : EXIT.ok;
}

const [major] = process.versions.node.split('.').map(Number);
if ((major ?? 0) < 22) {
  process.stderr.write(`determinism needs Node.js >= 22 (this is ${process.version}).\n`);
  process.exitCode = EXIT.badInput;
} else {
  process.exitCode = await main();
}
