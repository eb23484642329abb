import { describe, expect, it } from 'vitest';
import { MemoryCluster } from '../../clusters/memory/memory-cluster.ts';
import { labProfiles } from '../config/profiles-config.ts';
import { pod } from '../../manifests/pod-builder.ts';
import type { ExecOptions, ExecResult, PodHandle } from './cluster.ts';
import type { Profile } from './profile.ts';
import { startExec } from './running-exec.ts';

function firstProfile(): Profile {
  const profile = labProfiles()[0];
  if (profile === undefined) throw new Error('no lab profile');
  return profile;
}
const profile = firstProfile();

async function memoryPod(streams: readonly { atMs: number; line: string }[], delayMs: number): Promise<PodHandle> {
  const memory = new MemoryCluster(profile, () => ({ signal: 'delivered', streams, delayMs }));
  const created = await memory.createPod(pod('streamer', 'bm-app').build());
  if (created.status !== 'running') throw new Error('memory pod refused');
  return created.pod;
}

/** A pod whose exec delivers `chunks` to onStdout one timer tick apart, then ends. */
function chunkedPod(chunks: readonly Uint8Array[]): PodHandle {
  return {
    namespace: 'bm-app',
    name: 'chunked',
    ip: '10.0.0.1',
    node: 'n',
    exec: async (_command: readonly string[], options: ExecOptions): Promise<ExecResult> => {
      for (const chunk of chunks) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        options.onStdout?.(chunk);
      }
      return { exitCode: 0, stdout: '', stderr: '', timedOut: false, durationMs: 0 };
    },
    logs: async () => '',
    [Symbol.asyncDispose]: async () => {},
  };
}

describe('startExec: a marker line while the command runs', () => {
  it('sees the line when it is printed, before the command ends (memory provider streaming)', async () => {
    const handle = await memoryPod([{ atMs: 100, line: 'BM-READY test' }], 1_500);
    const running = startExec(handle, ['sh'], { timeoutMs: 5_000 });
    let ended = false;
    void running.result.then(() => (ended = true));
    const wait = await running.waitForLine('BM-READY test', 1_000);
    expect(wait.status).toBe('seen');
    expect(ended).toBe(false);
    expect((await running.result).stdout).toContain('BM-READY test\n');
  });

  it('a line printed before the wait began still counts', async () => {
    const running = startExec(await memoryPod([{ atMs: 0, line: 'early' }], 600), ['sh'], { timeoutMs: 5_000 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await running.waitForLine('early', 100)).status).toBe('seen');
  });

  it('ended when the command finishes without the line; deadline when the budget passes first', async () => {
    const quick = startExec(await memoryPod([{ atMs: 0, line: 'other' }], 50), ['sh'], { timeoutMs: 5_000 });
    expect(await quick.waitForLine('BM-READY test', 2_000)).toEqual({ status: 'ended' });
    const slow = startExec(await memoryPod([{ atMs: 800, line: 'BM-READY test' }], 900), ['sh'], { timeoutMs: 5_000 });
    expect(await slow.waitForLine('BM-READY test', 200)).toEqual({ status: 'deadline', budgetMs: 200 });
    // The command runs on after a missed deadline; a longer wait still sees the line.
    expect((await slow.waitForLine('BM-READY test', 2_000)).status).toBe('seen');
  });

  it('only a whole line equal to the marker matches, across chunk and UTF-8 boundaries', async () => {
    const bytes = new TextEncoder().encode('naïve BM-READY x\nBM-RE');
    const split = bytes.indexOf(0xc3) + 1;
    const chunks = [bytes.slice(0, split), bytes.slice(split), new TextEncoder().encode('ADY x\n')];
    const running = startExec(chunkedPod(chunks), ['sh'], { timeoutMs: 1_000 });
    expect((await running.waitForLine('naïve BM-READY x', 1_000)).status).toBe('seen');
    expect((await running.waitForLine('BM-READY x', 1_000)).status).toBe('seen');
    expect(await running.waitForLine('BM-READY', 1_000)).toEqual({ status: 'ended' });
  });

  it('a failed exec ends the wait; the failure stays on the result', async () => {
    const failing: PodHandle = { ...chunkedPod([]), exec: async () => Promise.reject(new Error('exec stream closed')) };
    const running = startExec(failing, ['sh'], { timeoutMs: 1_000 });
    expect(await running.waitForLine('BM-READY', 1_000)).toEqual({ status: 'ended' });
    await expect(running.result).rejects.toThrow('exec stream closed');
  });
});
