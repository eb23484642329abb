import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import type { TestSpecification, Vitest } from 'vitest/node';
import { MemoryCluster, type Replay } from '../../clusters/memory/memory-cluster.ts';
import { labProfiles } from '../config/profiles-config.ts';
import type { Cell } from '../domain/cell.ts';
import type { Profile } from '../domain/profile.ts';
import { AttackBroker, privateBrokerSocketPath } from './attack-broker.ts';
import { CellReporter } from './cell-reporter.ts';
import { listedOrderSequencer, REPO_ROOT, runSuites, suiteFilesInCatalogueOrder, SUITE_WORKER_NICE, SUITE_WORKERS, suiteWorkerExecArgv } from './run-suites.ts';
import { EXPECT_BLOCKED_BY_CNI, syntheticAttack } from './testing/synthetic-attack.ts';

/** Forked vitest workers that are children of this process now. */
async function forkedSuiteWorkers(): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // Field 4 (after the parenthesised command name) is the parent pid.
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (parent !== process.pid) continue;
    const command = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (command.includes('vitest/dist/workers/forks.js')) found.push(Number(entry));
  }
  return found;
}

describe('suite workers', () => {
  it('lower their own CPU priority before their code loads, so their start-up yields to the lab', async () => {
    const script = 'import("node:os").then((os) => console.log(os.getPriority()))';
    const worker = await execa(process.execPath, [...suiteWorkerExecArgv(), '--input-type=module', '-e', script]);
    expect(Number(worker.stdout.trim())).toBe(SUITE_WORKER_NICE);
    const plain = await execa(process.execPath, ['--input-type=module', '-e', script]);
    expect(Number(plain.stdout.trim())).toBeLessThan(SUITE_WORKER_NICE);
  });

  it('visit the suite files in the order the broker finishes their families, not by vitest\'s duration cache', async () => {
    const catalogue = [
      syntheticAttack({ id: 'S1', family: 'sidecar-bypass', expected: EXPECT_BLOCKED_BY_CNI }),
      syntheticAttack({ id: 'V1', family: 'eavesdropping', expected: EXPECT_BLOCKED_BY_CNI }),
      syntheticAttack({ id: 'S2', family: 'sidecar-bypass', expected: EXPECT_BLOCKED_BY_CNI }),
      syntheticAttack({ id: 'A1', family: 'admission', expected: EXPECT_BLOCKED_BY_CNI }),
      syntheticAttack({ id: 'V2', family: 'eavesdropping', expected: EXPECT_BLOCKED_BY_CNI }),
    ];
    const files = suiteFilesInCatalogueOrder(catalogue);
    expect(files).toEqual(['suites/sidecar-bypass.test.ts', 'suites/admission.test.ts', 'suites/eavesdropping.test.ts']);
    // The sequencer reads nothing but the specifications' paths; vitest's context is not needed to sort.
    const Sequencer = listedOrderSequencer(files);
    const spec = (file: string): TestSpecification => ({ moduleId: join(REPO_ROOT, file) }) as unknown as TestSpecification;
    const sorted = await new Sequencer(undefined as unknown as Vitest).sort(['suites/eavesdropping.test.ts', 'suites/admission.test.ts', 'suites/sidecar-bypass.test.ts'].map(spec));
    expect(sorted.map((one) => one.moduleId)).toEqual(files.map((file) => join(REPO_ROOT, file)));
  });

  it('one worker, reused across suite files and profiles, gets every profile its own cells', async () => {
    const profiles = labProfiles().filter((profile) => profile.id === 'lab:netpol' || profile.id === 'lab:netpol+sidecar') as Profile[];
    // Two families: two suite files, each describing both profiles; lateral movement first in this catalogue.
    const attacks = [
      syntheticAttack({ id: 'L1', family: 'lateral-movement', expected: EXPECT_BLOCKED_BY_CNI }),
      syntheticAttack({ id: 'E1', family: 'egress-exfiltration', expected: EXPECT_BLOCKED_BY_CNI }),
      syntheticAttack({ id: 'E2', family: 'egress-exfiltration', expected: EXPECT_BLOCKED_BY_CNI }),
    ];
    const replay: Replay = (pod) =>
      pod.metadata?.name?.includes('-control-') ? { signal: 'delivered', delayMs: 5 } : { signal: 'timeout', delayMs: 100, evidence: [{ layer: 'cni', source: 'nft-counter', verdict: 'denied', raw: 'drop' }] };
    const socketPath = await privateBrokerSocketPath();
    const recorded: Cell[] = [];
    const broker = await AttackBroker.start({
      socketPath,
      runId: 'suite-workers',
      attacks,
      concurrency: 2,
      podReadyMs: 1_000,
      controlRetries: 0,
      onCell: async (cell) => {
        recorded.push(cell);
        return cell;
      },
      scripts: () => 'true',
    });
    const reporter = new CellReporter(() => {});
    const workers = new Set<number>();
    const sampling = setInterval(() => void forkedSuiteWorkers().then((pids) => pids.forEach((pid) => workers.add(pid))), 25);
    try {
      for (const profile of profiles) broker.announce(profile.id);
      const suites = runSuites({ socketPath, profileIds: profiles.map((profile) => profile.id), attacks, testTimeoutMs: 20_000, reporter, signal: new AbortController().signal });
      for (const profile of profiles) {
        const cluster = new MemoryCluster(profile, replay);
        broker.register(profile.id, { cluster, addresses: await cluster.addresses() });
      }
      await suites;
    } finally {
      clearInterval(sampling);
      await broker.close();
    }
    // Every test got the cell of its own profile and attack (a test checks that before it passes).
    expect(reporter.harnessFailures()).toEqual([]);
    const key = (cell: Cell): string => `${cell.profileId} ${cell.attackId}`;
    const inOrder = (cells: readonly Cell[]): Cell[] => [...cells].sort((a, b) => key(a).localeCompare(key(b)));
    expect(inOrder(reporter.collected()).map(key)).toEqual(['lab:netpol E1', 'lab:netpol E2', 'lab:netpol L1', 'lab:netpol+sidecar E1', 'lab:netpol+sidecar E2', 'lab:netpol+sidecar L1']);
    // What the tests got is what the broker recorded, one execution each.
    expect(inOrder(reporter.collected())).toEqual(inOrder(recorded));
    // The worker visits the files in catalogue order (the order the broker finishes families), whatever vitest's
    // duration cache says.
    expect(reporter.collected().map((cell) => cell.family)).toEqual(['lateral-movement', 'lateral-movement', 'egress-exfiltration', 'egress-exfiltration', 'egress-exfiltration', 'egress-exfiltration']);
    // Four (file, profile) pairs, served by the fixed number of workers instead of one each.
    expect(workers.size).toBeGreaterThanOrEqual(1);
    expect(workers.size).toBeLessThanOrEqual(SUITE_WORKERS);
  }, 60_000);
});
