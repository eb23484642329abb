import { execa } from 'execa';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

/** Every message of issue 10 point 4 and every gate of issue 8 point 5, through the real CLI. */
const BIN = fileURLToPath(new URL('../../bin/breachmatrix.js', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../../reports/fixtures/', import.meta.url));
const SAMPLE = join(FIXTURES, 'sample-results.jsonl');
/** A stack trace line: a user mistake never prints one. */
const STACK = /^\s+at /m;

function cli(...args: string[]) {
  // A wrong-provider check that did not fire would start a whole run: the timeout makes that a failure, fast.
  return execa(process.execPath, [BIN, ...args], { reject: false, timeout: 30_000, env: { NO_COLOR: '1', CI: 'true' } });
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bm-cli-messages-'));
});

describe('flags of another provider', () => {
  it.each([
    [['--config', 'malformed.yaml'], '--config belongs to --provider kind or kubeconfig'],
    [['--pins', 'pins.yaml'], '--pins belongs to --provider kind or kubeconfig'],
    [['--reuse', 'bm-x'], '--reuse belongs to --provider kind'],
    [['--context', 'prod'], '--context belongs to --provider kubeconfig'],
    [['--registry-cache'], '--registry-cache belongs to --provider kind'],
  ])('run --provider lab %j exits 2 naming the flag and its provider', async (flags, message) => {
    const result = await cli('run', '--provider', 'lab', '--out', join(dir, 'never'), ...flags);
    expect(result.exitCode, result.stderr).toBe(2);
    expect(result.stderr).toContain(`breachmatrix: --provider lab: ${message}, not to lab (its stacks are built in)`);
    expect(result.stderr).not.toMatch(STACK);
  });

  it('run --provider kind refuses kubeconfig flags; plan --provider lab refuses --config', async () => {
    const kind = await cli('run', '--provider', 'kind', '--server', 'https://x', '--i-understand-this-attacks-the-cluster');
    expect(kind.exitCode).toBe(2);
    expect(kind.stderr).toContain('--server belongs to --provider kubeconfig; --i-understand-this-attacks-the-cluster belongs to --provider kubeconfig, not to kind (allowed: --config, --pins, --reuse, --registry-cache)');
    const plan = await cli('plan', '--provider', 'lab', '--config', 'x.yaml', '--out', join(dir, 'plan'));
    expect(plan.exitCode).toBe(2);
    expect(plan.stderr).toContain('--config belongs to --provider kind or kubeconfig, not to lab');
  });

  it('kubeconfig without --context says the flag is required, not `context ""`', async () => {
    const result = await cli('run', '--provider', 'kubeconfig', '--i-understand-this-attacks-the-cluster');
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe('breachmatrix: --provider kubeconfig: --context is required (allowed: --context <value>)');
    expect(result.stderr).not.toContain('""');
  });

  it('--help documents which flags belong to which provider, and shows each list default once', async () => {
    for (const command of ['run', 'plan']) {
      const help = (await cli(command, '--help')).stdout;
      expect(help, command).not.toContain('(default: [])');
      for (const line of help.split('\n')) expect(line.match(/\(default:/g)?.length ?? 0, line).toBeLessThanOrEqual(1);
      expect(help, command).toContain('--profile <id...>');
      expect(help, command).toMatch(/\(default: all of the provider\)/);
    }
    expect((await cli('run', '--help')).stdout).toContain('  lab        (none: the stacks are built in)');
  });
});

describe('messages say what, where and what is allowed', () => {
  it('a results file from a newer breachmatrix says so', async () => {
    const lines = (await readFile(SAMPLE, 'utf8')).split('\n');
    const file = join(dir, 'newer.jsonl');
    await writeFile(file, [lines[0]?.replace('"schemaVersion":1', '"schemaVersion":99'), ...lines.slice(1)].join('\n'));
    const result = await cli('report', file, '--out', join(dir, 'newer-out'));
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`${file}:1: schemaVersion: written by a newer breachmatrix (schema 99; this one reads 1 or 2)`);
    expect(result.stderr).not.toContain('undefined');
  });

  it('lists every problem of a profiles file, not "(+1 more problem)"', async () => {
    const config = join(dir, 'two-problems.yaml');
    await writeFile(config, 'profiles:\n  - { cni: weave, mesh: linkerd }\n');
    const result = await cli('list', '--config', config);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).not.toMatch(/more problem/);
    expect(result.stderr).toContain(`${config}: profiles[0].cni: "weave" is not allowed (allowed: "kindnet", "calico", "cilium", "flannel"); also profiles[0].mesh: "linkerd" is not allowed (allowed: "none", "istio-sidecar", "istio-ambient")`);
  });

  it('diff --markdown into a missing folder is bad input, without a stack trace', async () => {
    const result = await cli('diff', SAMPLE, SAMPLE, '--markdown', '/missing/dir/x.md');
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe('breachmatrix: --markdown /missing/dir/x.md: its folder does not exist (allowed: a file path in an existing, writable folder)');
  });

  it('--fail-on none cannot be combined with a value that fails (diff and report)', async () => {
    const diff = await cli('diff', SAMPLE, SAMPLE, '--fail-on', 'none', '--fail-on', 'any');
    expect(diff.exitCode).toBe(2);
    expect(diff.stderr).toContain('breachmatrix: --fail-on: "none" cannot be combined with "any" (allowed: "none" alone, or any of worse, changed, any)');
    const report = await cli('report', SAMPLE, '--out', join(dir, 'r'), '--fail-on', 'none', 'missing');
    expect(report.exitCode).toBe(2);
    expect(report.stderr).toContain('"none" cannot be combined with "missing"');
  });

  it('--out pointing at a file is bad input (run, report, plan), before anything starts', async () => {
    const file = join(dir, 'a-file');
    await writeFile(file, 'x');
    for (const args of [['run', '--provider', 'lab'], ['report', SAMPLE], ['plan', '--provider', 'lab']]) {
      const result = await cli(...args, '--out', file);
      expect(result.exitCode, args.join(' ')).toBe(2);
      expect(result.stderr).toBe(`breachmatrix: --out ${file}: is a file, not a directory (allowed: a directory path (created when missing))`);
    }
  });
});

describe('gates fail closed', () => {
  async function partial(name: string, keepCells: number, withEnd: boolean): Promise<string> {
    const lines = (await readFile(SAMPLE, 'utf8')).trim().split('\n');
    const cells = lines.filter((line) => line.includes('"type":"cell"')).slice(0, keepCells);
    const end = withEnd ? lines.filter((line) => line.includes('"type":"end"')) : [];
    const path = join(dir, name);
    await writeFile(path, `${[lines[0], ...cells, ...end].join('\n')}\n`);
    return path;
  }

  it('diff full partial exits 1 with --fail-on worse when NEW kept 3 of 22 cells, saying why', async () => {
    const result = await cli('diff', SAMPLE, await partial('partial.jsonl', 3, true), '--fail-on', 'worse');
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain('worse 0 · missing 19 · better 0 · changed 0 · same 3');
    expect(result.stderr).toContain('breachmatrix diff: fails --fail-on worse: 19 cell(s) of old missing in new');
  });

  it('diff exits 1 when NEW has every cell but no end line', async () => {
    const result = await cli('diff', SAMPLE, await partial('no-end.jsonl', 22, false));
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/fails --fail-on worse: new results are incomplete: run \S+ \(.*no-end\.jsonl\) has no end line/);
    expect((await cli('diff', SAMPLE, SAMPLE)).exitCode).toBe(0);
  });

  it('report --fail-on missing|unexpected|any exits 1 with the reason; without --fail-on it exits 0', async () => {
    const cut = await partial('cut.jsonl', 20, false);
    expect((await cli('report', cut, '--out', join(dir, 'g0'))).exitCode).toBe(0);
    const missing = await cli('report', cut, '--out', join(dir, 'g1'), '--fail-on', 'missing');
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toContain('breachmatrix report: fails --fail-on missing: 2 missing cell(s) (in a run header, no cell line)');
    const full = await cli('report', SAMPLE, '--out', join(dir, 'g2'), '--fail-on', 'missing', 'error');
    expect(full.exitCode, full.stderr).toBe(0);
    const unexpected = await cli('report', SAMPLE, '--out', join(dir, 'g3'), '--fail-on', 'unexpected');
    expect(unexpected.exitCode).toBe(1);
    expect(unexpected.stderr).toMatch(/fails --fail-on unexpected: \d+ unexpected cell\(s\)/);
  });

  it('report warns about overlapping cells of a merge and which run it kept', async () => {
    const cut = await partial('overlap.jsonl', 5, false);
    const result = await cli('report', SAMPLE, cut, '--out', join(dir, 'g4'));
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain(`warning: 5 overlapping cell(s) kept from ${SAMPLE}`);
    expect(result.stderr).toContain('(rule: a complete run wins over an interrupted one, then the later finish)');
  });
});
