import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { SUITE_WORKER_NICE, suiteWorkerExecArgv } from './run-suites.ts';

describe('suite workers', () => {
  it('lower their own CPU priority before their code loads, so their start-up yields to the lab', async () => {
    const script = 'import("node:os").then((os) => console.log(os.getPriority()))';
    const worker = await execa(process.execPath, [...suiteWorkerExecArgv(), '--input-type=module', '-e', script]);
    expect(Number(worker.stdout.trim())).toBe(SUITE_WORKER_NICE);
    const plain = await execa(process.execPath, ['--input-type=module', '-e', script]);
    expect(Number(plain.stdout.trim())).toBeLessThan(SUITE_WORKER_NICE);
  });
});
