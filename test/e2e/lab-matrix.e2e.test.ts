import { execa } from 'execa';
import { access, mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Cell } from '../../core/domain/cell.ts';
import type { ResultLine } from '../../core/domain/results.ts';

/**
 * The whole pipeline on real network namespaces: `breachmatrix run --provider lab` over the four lab stacks with
 * the headline attacks, then assertions on the cells, their evidence, the reports and the teardown.
 */
const BIN = fileURLToPath(new URL('../../bin/breachmatrix.js', import.meta.url));
const STACKS = ['lab:none', 'lab:netpol', 'lab:sidecar', 'lab:netpol+sidecar'];
const ATTACKS = ['SC1', 'SC8', 'EG2', 'HN1', 'LM1'];

let out = '';
let exitCode: number | undefined;
let stderr = '';
let cells: Cell[] = [];

function cell(profileId: string, attackId: string): Cell {
  const found = cells.find((candidate) => candidate.profileId === profileId && candidate.attackId === attackId);
  if (found === undefined) throw new Error(`no cell ${attackId} on ${profileId}`);
  return found;
}

/** Other lab tests may run beside this one, so only this run's labs (named in its progress lines) count. */
function labPrefixes(): string[] {
  return [...new Set([...stderr.matchAll(/lab (bml-[a-z0-9]+):/g)].map((match) => match[1] ?? ''))];
}

async function labLeftovers(prefixes: readonly string[]): Promise<string[]> {
  const ours = (name: string): boolean => prefixes.some((prefix) => name.startsWith(prefix));
  const { stdout } = await execa('ip', ['netns', 'list']);
  const namespaces = stdout.split('\n').filter(ours);
  const etc = (await readdir('/etc/netns').catch(() => [] as string[])).filter(ours);
  const processes = (await execa('pgrep', ['-af', prefixes.join('|')], { reject: false })).stdout.split('\n').filter((line) => line.trim() !== '');
  return [...namespaces, ...etc, ...processes];
}

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'bm-e2e-'));
  const result = await execa(process.execPath, [BIN, 'run', '--provider', 'lab', '--profile', STACKS.join(','), '--attack', ATTACKS.join(','), '--out', out], {
    reject: false,
    env: { CI: 'true', NO_COLOR: '1' },
  });
  exitCode = result.exitCode;
  stderr = result.stderr;
  const lines = (await readFile(join(out, 'results.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as ResultLine);
  cells = lines.flatMap((line) => (line.type === 'cell' ? [line.cell] : []));
}, 300_000);

describe('breachmatrix run --provider lab (end to end)', () => {
  it('finishes every cell as expected and writes the four reports', async () => {
    expect(cells, stderr).toHaveLength(STACKS.length * ATTACKS.length);
    expect(cells.filter((candidate) => !candidate.asExpected).map((candidate) => `${candidate.profileId}/${candidate.attackId}: ${candidate.outcome} ${candidate.reason ?? ''}`)).toEqual([]);
    expect(exitCode, stderr).toBe(0);
    for (const file of ['results.jsonl', 'report.json', 'junit.xml', 'summary.md', 'report.html']) await access(join(out, file));
    expect(await readFile(join(out, 'summary.md'), 'utf8')).toMatch(/lab/i);
  });

  it('SC1 (UID 1337) is allowed on lab:sidecar: the canary reached the sink and the proxy logged nothing', () => {
    const sc1 = cell('lab:sidecar', 'SC1');
    expect(sc1.outcome).toBe('allowed');
    expect(sc1.evidence.some((item) => item.source === 'sink' && item.verdict === 'delivered')).toBe(true);
    expect(sc1.evidence.filter((item) => item.source === 'lab-proxy-log')).toEqual([]);
  });

  it('SC1 is blocked by the CNI on lab:netpol+sidecar, confirmed by the nft counter, and never reached the sink', () => {
    const sc1 = cell('lab:netpol+sidecar', 'SC1');
    expect(sc1).toMatchObject({ outcome: 'blocked', blockedBy: 'cni', confidence: 'confirmed', signal: 'timeout' });
    expect(sc1.control?.passed).toBe(true);
    const counter = sc1.evidence.find((item) => item.source === 'nft-counter');
    expect(counter?.raw).toMatch(/bm:deny ns=bm-app pod=\S+ dir=egress/);
    expect(sc1.evidence.some((item) => item.source === 'sink')).toBe(false);
  });

  it('SC8 plaintext into STRICT is blocked by the sidecar with its own filter_chain_not_found record', () => {
    const sc8 = cell('lab:sidecar', 'SC8');
    expect(sc8).toMatchObject({ outcome: 'blocked', blockedBy: 'mesh-sidecar', confidence: 'confirmed' });
    expect(sc8.evidence.some((item) => item.source === 'lab-proxy-log' && item.raw.includes('filter_chain_not_found'))).toBe(true);
  });

  it('EG2 (DNS tunnel) is allowed on every lab stack: the sink received the query carrying the canary', () => {
    for (const stack of STACKS) {
      const eg2 = cell(stack, 'EG2');
      expect(eg2.outcome, stack).toBe('allowed');
      expect(eg2.evidence.some((item) => item.source === 'sink' && item.raw.includes('"dns"')), stack).toBe(true);
    }
  });

  it('HN1 (hostNetwork pod) is refused by admission with the API server message on every stack', () => {
    for (const stack of STACKS) {
      expect(cell(stack, 'HN1'), stack).toMatchObject({ outcome: 'blocked', blockedBy: 'admission', confidence: 'confirmed' });
      expect(cell(stack, 'HN1').evidence[0]?.raw, stack).toMatch(/violates PodSecurity "baseline:latest": host namespaces/);
    }
  });

  it('measures depth by ablation on lab:netpol+sidecar: SC8 is stopped by each layer alone, SC1 only by the CNI', () => {
    const sc8 = cell('lab:netpol+sidecar', 'SC8').depth;
    expect(sc8?.count, JSON.stringify(sc8)).toBe(2);
    expect(sc8?.layers.map((entry) => [entry.policies, entry.blockedBy, entry.confidence])).toEqual([
      ['cni', 'cni', 'confirmed'],
      ['mesh', 'mesh-sidecar', 'confirmed'],
    ]);
    const sc1 = cell('lab:netpol+sidecar', 'SC1').depth;
    expect(sc1?.count, JSON.stringify(sc1)).toBe(1);
    expect(sc1?.layers.map((entry) => [entry.policies, entry.outcome])).toEqual([
      ['cni', 'blocked'],
      ['mesh', 'allowed'],
    ]);
    // Stacks with one policy group get no passes.
    expect(cell('lab:netpol', 'SC1').depth).toBeUndefined();
  });

  it('leaves no network namespace, /etc/netns entry or process behind', async () => {
    const prefixes = labPrefixes();
    // One lab per stack, plus the two depth passes of lab:netpol+sidecar (depth is on by default for the lab).
    expect(prefixes).toHaveLength(STACKS.length + 2);
    expect(await labLeftovers(prefixes)).toEqual([]);
  });
});
