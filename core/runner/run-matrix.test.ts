import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoryProvider, type Replay } from '../../clusters/memory/memory-cluster.ts';
import { labProfiles } from '../config/profiles-config.ts';
import type { KubeObject } from '../domain/cluster.ts';
import { EXIT } from '../domain/errors.ts';
import type { Profile } from '../domain/profile.ts';
import type { ResultLine } from '../domain/results.ts';
import { SILENT_PROGRESS, type Progress } from './progress.ts';
import { runMatrix, type RunMatrixOptions } from './run-matrix.ts';
import type { OpenResultsFile } from './results-writer.ts';
import { EXPECT_BLOCKED_BY_CNI, syntheticAttack } from './testing/synthetic-attack.ts';
import { testRunOptions } from './testing/test-run-options.ts';
import { open } from 'node:fs/promises';
import type { Expectation } from '../domain/attack.ts';
import { TIMEOUTS } from '../timeouts.ts';

const profiles = labProfiles().filter((profile) => profile.id === 'lab:netpol' || profile.id === 'lab:netpol+sidecar') as Profile[];
const namespace: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bm-app' } };
const netpol: KubeObject = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'bm-default-deny', namespace: 'bm-app' } };
const attacks = ['R1', 'R2', 'R3', 'R4', 'R5', 'R6'].map((id) => syntheticAttack({ id, expected: EXPECT_BLOCKED_BY_CNI }));
const blockedByCni: Replay = (pod) =>
  pod.metadata?.name?.includes('-control-')
    ? { signal: 'delivered', delayMs: 20 }
    : { signal: 'timeout', delayMs: 250, evidence: [{ layer: 'cni', source: 'nft-counter', verdict: 'denied', raw: 'drop' }] };

async function options(overrides: Partial<RunMatrixOptions>): Promise<RunMatrixOptions> {
  return testRunOptions({ provider: memoryProvider(blockedByCni), profiles, attacks, renderScene: () => [[namespace], [netpol]] }, { concurrency: 3, ...overrides });
}

async function resultLines(path: string): Promise<ResultLine[]> {
  return (await readFile(path, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as ResultLine);
}

describe('runMatrix (vitest suites against the in-memory provider)', () => {
  it('runs every selected attack on every profile through vitest, concurrently up to the limit, appending each cell', async () => {
    const provider = memoryProvider(blockedByCni);
    const run = await runMatrix(await options({ provider }));
    expect(run.exitCode).toBe(EXIT.ok);
    expect(run.cells).toHaveLength(attacks.length * profiles.length);
    expect(run.cells.every((cell) => cell.outcome === 'blocked' && cell.blockedBy === 'cni' && cell.asExpected)).toBe(true);
    const lines = await resultLines(run.resultsPath);
    expect(lines[0]?.type).toBe('run');
    expect(lines.filter((line) => line.type === 'cell')).toHaveLength(12);
    expect(lines.at(-1)).toMatchObject({ type: 'end', interrupted: false });
    for (const cluster of provider.created) {
      // Attempts and controls run side by side; the per-profile limit of 3 attacks bounds the scripts at 6.
      expect(cluster.maxConcurrentScripts).toBeGreaterThan(1);
      expect(cluster.maxConcurrentScripts).toBeLessThanOrEqual(6);
      expect(cluster.tornDown).toBe(true);
      expect(cluster.applied).toEqual([namespace, netpol]);
    }
  });

  it('runs the scene self-test around the policies and records its table before any cell', async () => {
    const provider = memoryProvider(blockedByCni);
    const steps: string[] = [];
    const progress: Progress = { ...SILENT_PROGRESS, step: (_profile, step) => steps.push(step) };
    const run = await runMatrix(await options({ provider, progress, profiles: profiles.slice(0, 1), attacks: attacks.slice(0, 1) }));
    expect(run.exitCode).toBe(EXIT.ok);
    expect(provider.created[0]?.applied).toEqual([namespace, netpol]);
    const lines = await resultLines(run.resultsPath);
    const scene = lines.find((line) => line.type === 'scene');
    expect(scene).toMatchObject({ type: 'scene', profileId: 'lab:netpol', passed: true });
    expect(lines.findIndex((line) => line.type === 'scene')).toBeLessThan(lines.findIndex((line) => line.type === 'cell'));
    expect(steps).toContainEqual(expect.stringMatching(/^scene self-test: \d+ checks passed/));
  });

  it('a failed scene self-test fails the profile (exit 3): its cells are errors naming the failed check, never blocked', async () => {
    const provider = memoryProvider(blockedByCni, [], { probe: (id, phase) => (id === 'intruder-api' && phase === 'after-policies' ? { signal: 'http-ok' } : undefined) });
    const run = await runMatrix(await options({ provider, profiles: profiles.slice(0, 1), attacks: attacks.slice(0, 2), sceneConvergence: { timeoutMs: 1_000, intervalMs: 20 } }));
    expect(run.exitCode).toBe(EXIT.infrastructure);
    expect(run.profileErrors[0]?.message).toMatch(/^scene self-test: failed 1 of \d+ checks: intruder → api:8080\/http \(expected denied/);
    expect(run.cells).toHaveLength(2);
    expect(run.cells.every((cell) => cell.outcome === 'error' && cell.reason?.includes('intruder → api:8080/http'))).toBe(true);
    const scene = (await resultLines(run.resultsPath)).find((line) => line.type === 'scene');
    expect(scene).toMatchObject({ passed: false });
    expect(scene?.type === 'scene' ? scene.checks.filter((check) => !check.passed).map((check) => check.name) : []).toEqual(['intruder → api:8080/http']);
  });

  it('exits 1 when a cell differs from its expectation', async () => {
    const allowedEverywhere: Replay = () => ({ signal: 'delivered' });
    const run = await runMatrix(await options({ provider: memoryProvider(allowedEverywhere), profiles: profiles.slice(0, 1), attacks: attacks.slice(0, 2) }));
    expect(run.cells.map((cell) => cell.outcome)).toEqual(['allowed', 'allowed']);
    expect(run.exitCode).toBe(EXIT.unexpected);
  });

  it('on interrupt keeps every finished cell, records the interruption and tears every cluster down', async () => {
    const controller = new AbortController();
    const provider = memoryProvider(blockedByCni);
    let seen = 0;
    const progress: Progress = {
      ...SILENT_PROGRESS,
      cell: () => {
        seen += 1;
        if (seen === 2) controller.abort();
      },
    };
    const run = await runMatrix(await options({ provider, progress, signal: controller.signal, concurrency: 1, profiles: profiles.slice(0, 1) }));
    expect(run.interrupted).toBe(true);
    expect(run.exitCode).toBe(EXIT.interrupted);
    const lines = await resultLines(run.resultsPath);
    const cells = lines.filter((line) => line.type === 'cell');
    expect(cells.length).toBeGreaterThanOrEqual(2);
    expect(cells.length).toBeLessThan(attacks.length);
    expect(lines.at(-1)).toMatchObject({ type: 'end', interrupted: true });
    expect(provider.created.every((cluster) => cluster.tornDown)).toBe(true);
  });

  it('records a profile that fails to provision as error cells and exits 3, while other profiles still run', async () => {
    const healthy = memoryProvider(blockedByCni);
    const provider = {
      ...healthy,
      create: async (profile: Profile, createOptions: Parameters<typeof healthy.create>[1]) => {
        if (profile.id === 'lab:netpol') throw new Error('calico-node not ready');
        return healthy.create(profile, createOptions);
      },
    };
    const run = await runMatrix(await options({ provider }));
    expect(run.exitCode).toBe(EXIT.infrastructure);
    expect(run.profileErrors).toEqual([{ profileId: 'lab:netpol', message: 'calico-node not ready' }]);
    const failed = run.cells.filter((cell) => cell.profileId === 'lab:netpol');
    expect(failed).toHaveLength(attacks.length);
    expect(failed.every((cell) => cell.outcome === 'error' && cell.reason?.includes('calico-node not ready'))).toBe(true);
    expect(run.cells.filter((cell) => cell.profileId === 'lab:netpol+sidecar' && cell.outcome === 'blocked')).toHaveLength(attacks.length);
  });

  it('runs profiles in a pool: the next starts when any finishes, never more than profileConcurrency at once', async () => {
    const base = profiles[0] as Profile;
    // Three stacks of the same kind; `slow` takes long to provision, so with two slots `third` must take the
    // slot `fast` frees, while `slow` is still up (fixed batches would hold it back until `slow` is done).
    const pool = ['slow', 'fast', 'third'].map((name) => ({ ...base, id: `${base.id}-${name}` }) as Profile);
    const healthy = memoryProvider(blockedByCni);
    const events: string[] = [];
    let live = 0;
    let maxLive = 0;
    const provider = {
      ...healthy,
      create: async (profile: Profile, createOptions: Parameters<typeof healthy.create>[1]) => {
        events.push(`create ${profile.id}`);
        live += 1;
        maxLive = Math.max(maxLive, live);
        if (profile.id.endsWith('-slow')) await new Promise((resolve) => setTimeout(resolve, 4_000));
        const cluster = await healthy.create(profile, createOptions);
        const teardown = cluster.teardown.bind(cluster);
        cluster.teardown = async () => {
          events.push(`teardown ${profile.id}`);
          live -= 1;
          await teardown();
        };
        return cluster;
      },
    };
    const run = await runMatrix(await options({ provider, profiles: pool, attacks: attacks.slice(0, 2), profileConcurrency: 2 }));
    expect(run.exitCode).toBe(EXIT.ok);
    expect(run.cells).toHaveLength(2 * pool.length);
    expect(maxLive).toBe(2);
    expect(events.indexOf(`create ${base.id}-third`)).toBeGreaterThan(events.indexOf(`teardown ${base.id}-fast`));
    expect(events.indexOf(`create ${base.id}-third`)).toBeLessThan(events.indexOf(`teardown ${base.id}-slow`));
  });

  it('writes every not-applicable cell before any cluster is created, and never runs those attacks', async () => {
    const notApplicable: Expectation = { outcome: 'not-applicable', certainty: 'documented', source: 'test' };
    const mixed = [...attacks.slice(0, 2), syntheticAttack({ id: 'NA1', expected: notApplicable, notApplicable: 'not on this stack' })];
    const healthy = memoryProvider(blockedByCni);
    let onDiskAtFirstCreate: ResultLine[] | undefined;
    let resultsPath = '';
    const provider = {
      ...healthy,
      create: async (profile: Profile, createOptions: Parameters<typeof healthy.create>[1]) => {
        onDiskAtFirstCreate ??= await resultLines(resultsPath);
        return healthy.create(profile, createOptions);
      },
    };
    const base = await options({ provider, attacks: mixed });
    resultsPath = join(base.outDir, 'results.jsonl');
    const run = await runMatrix(base);
    expect(run.exitCode).toBe(EXIT.ok);
    const early = (onDiskAtFirstCreate ?? []).flatMap((line) => (line.type === 'cell' ? [line.cell] : []));
    expect(early.map((cell) => `${cell.profileId} ${cell.attackId} ${cell.outcome}`).sort()).toEqual([
      'lab:netpol NA1 not-applicable',
      'lab:netpol+sidecar NA1 not-applicable',
    ]);
    // Written once, never attempted: no pod of NA1 was ever created.
    const lines = await resultLines(run.resultsPath);
    expect(lines.filter((line) => line.type === 'cell' && line.cell.attackId === 'NA1')).toHaveLength(2);
    expect(healthy.created.flatMap((cluster) => cluster.podsCreated).some((name) => name.startsWith('na1-'))).toBe(false);
  });

  it('shows every cell once: a measured one as the broker records it, a not-applicable one when its test gets it', async () => {
    const notApplicable: Expectation = { outcome: 'not-applicable', certainty: 'documented', source: 'test' };
    const shown: string[] = [];
    const progress: Progress = { ...SILENT_PROGRESS, cell: (cell) => shown.push(`${cell.profileId} ${cell.attackId} ${cell.outcome}`) };
    const run = await runMatrix(await options({ progress, attacks: [...attacks.slice(0, 3), syntheticAttack({ id: 'NA1', expected: notApplicable, notApplicable: 'no' })] }));
    expect(run.exitCode).toBe(EXIT.ok);
    expect(shown.sort()).toEqual(run.cells.map((cell) => `${cell.profileId} ${cell.attackId} ${cell.outcome}`).sort());
    expect(shown).toHaveLength(8);
  });

  it('an interrupt before any cluster exists still keeps the not-applicable cells', async () => {
    const notApplicable: Expectation = { outcome: 'not-applicable', certainty: 'documented', source: 'test' };
    const controller = new AbortController();
    controller.abort();
    const provider = memoryProvider(blockedByCni);
    const run = await runMatrix(await options({ provider, signal: controller.signal, attacks: [...attacks.slice(0, 1), syntheticAttack({ id: 'NA1', expected: notApplicable, notApplicable: 'no' })] }));
    expect(run.exitCode).toBe(EXIT.interrupted);
    expect(provider.created).toHaveLength(0);
    expect(run.cells.map((cell) => `${cell.profileId} ${cell.attackId} ${cell.outcome}`).sort()).toEqual(['lab:netpol NA1 not-applicable', 'lab:netpol+sidecar NA1 not-applicable']);
  });

  it('an attempt in flight at the interrupt that ends in error is recorded not-run, never error or unexpected', async () => {
    const controller = new AbortController();
    // R1 is blocked quickly; R2's attempt is still running when the interrupt comes and then fails.
    const replay: Replay = (pod) => {
      const name = pod.metadata?.name ?? '';
      if (name.includes('-control-')) return { signal: 'delivered', delayMs: 10 };
      if (name.startsWith('r1-')) return { signal: 'timeout', delayMs: 20, evidence: [{ layer: 'cni', source: 'nft-counter', verdict: 'denied', raw: 'drop' }] };
      return { signal: 'error', detail: 'killed by the interrupt', delayMs: 600 };
    };
    const progress: Progress = { ...SILENT_PROGRESS, cell: (cell) => (cell.attackId === 'R1' ? controller.abort() : undefined) };
    const run = await runMatrix(await options({ provider: memoryProvider(replay), progress, signal: controller.signal, concurrency: 2, profiles: profiles.slice(0, 1), attacks: attacks.slice(0, 2) }));
    expect(run.exitCode).toBe(EXIT.interrupted);
    const byId = new Map(run.cells.map((cell) => [cell.attackId, cell]));
    expect(byId.get('R1')).toMatchObject({ outcome: 'blocked', asExpected: true });
    expect(byId.get('R2')).toMatchObject({ outcome: 'not-run', asExpected: false });
    expect(byId.get('R2')?.reason).toMatch(/^interrupted while in flight; the attempt ended as error/);
    expect(byId.get('R2')).not.toHaveProperty('signal');
    expect(run.harnessFailures).toEqual([]);
  });

  it('stops starting attacks when results.jsonl cannot be written, keeps the written cells whole and exits 3', async () => {
    let budget = -1;
    const openFile: OpenResultsFile = async (path) => {
      const handle = await open(path, 'w');
      let used = 0;
      return {
        write: async (data, position) => {
          if (budget >= 0 && used + data.length > budget) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
          used += data.length;
          return (await handle.write(data, 0, data.length, position)).bytesWritten;
        },
        truncate: (length) => handle.truncate(length),
        close: () => handle.close(),
      };
    };
    // The disk fills after the header and about two cells.
    const provider = memoryProvider(blockedByCni);
    const many = Array.from({ length: 12 }, (_, index) => syntheticAttack({ id: `W${index}`, expected: EXPECT_BLOCKED_BY_CNI }));
    const run = await runMatrix(
      await options({
        provider,
        concurrency: 1,
        profiles: profiles.slice(0, 1),
        attacks: many,
        openResultsFile: async (path) => {
          const file = await openFile(path);
          budget = 6_000;
          return file;
        },
      }),
    );
    expect(run.exitCode).toBe(EXIT.infrastructure);
    expect(run.writeFailure?.error.message).toMatch(/ENOSPC/);
    expect(run.writeFailure?.lostCells).toBeGreaterThanOrEqual(1);
    const text = await readFile(run.resultsPath, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const lines = await resultLines(run.resultsPath);
    expect(lines.filter((line) => line.type === 'cell')).toHaveLength(run.cells.length);
    // No further attack was started once the write failed: far fewer attempts than attacks.
    const attempts = provider.created.flatMap((cluster) => cluster.podsCreated).filter((name) => name.includes('-attempt-'));
    expect(attempts.length).toBeLessThan(many.length);
    expect(provider.created.every((cluster) => cluster.tornDown)).toBe(true);
  });

  it('an attempt still running when the drain ends is recorded not-run, and its late result is dropped', async () => {
    const controller = new AbortController();
    const lateMs = TIMEOUTS.scriptExecMs + 1_000;
    const replay: Replay = (pod) => {
      const name = pod.metadata?.name ?? '';
      if (name.includes('-control-')) return { signal: 'delivered', delayMs: 10 };
      if (name.startsWith('r1-')) return { signal: 'timeout', delayMs: 20, evidence: [{ layer: 'cni', source: 'nft-counter', verdict: 'denied', raw: 'drop' }] };
      // Outlives the drain, then "sees" a timeout — on a torn-down cluster that would read as a block.
      return { signal: 'timeout', delayMs: lateMs };
    };
    const progress: Progress = { ...SILENT_PROGRESS, cell: (cell) => (cell.attackId === 'R1' ? controller.abort() : undefined) };
    const started = performance.now();
    const run = await runMatrix(await options({ provider: memoryProvider(replay), progress, signal: controller.signal, concurrency: 2, profiles: profiles.slice(0, 1), attacks: attacks.slice(0, 2) }));
    expect(run.exitCode).toBe(EXIT.interrupted);
    expect(run.cells.find((cell) => cell.attackId === 'R2')).toMatchObject({ outcome: 'not-run', reason: expect.stringMatching(/^still running when its cluster was torn down/) });
    // Let the attempt finish on the torn-down cluster: nothing more is written.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, lateMs - (performance.now() - started)) + 500));
    const r2Lines = (await resultLines(run.resultsPath)).filter((line) => line.type === 'cell' && line.cell.attackId === 'R2');
    expect(r2Lines).toHaveLength(1);
    expect(r2Lines[0]).toMatchObject({ cell: { outcome: 'not-run' } });
  }, 40_000);
});
