import { describe, expect, it } from 'vitest';
import { CoalescingSync } from './coalescing-sync.ts';

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (error: Error) => void } {
  let resolve: () => void = () => undefined;
  let reject: (error: Error) => void = () => undefined;
  const promise = new Promise<void>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { promise, resolve, reject };
}

describe('CoalescingSync', () => {
  it('folds every request made during a running sync into one following sync', async () => {
    const gates: ReturnType<typeof deferred>[] = [];
    let starts = 0;
    const sync = new CoalescingSync(async () => {
      starts += 1;
      const gate = deferred();
      gates.push(gate);
      await gate.promise;
    });
    const first = sync.request();
    await Promise.resolve();
    const during = Array.from({ length: 10 }, () => sync.request());
    expect(new Set(during).size).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(starts).toBe(1);
    gates[0]?.resolve();
    await first;
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(starts).toBe(2);
    gates[1]?.resolve();
    await Promise.all(during);
    expect(starts).toBe(2);
  });

  it('a request never resolves on a sync that started before it', async () => {
    const log: string[] = [];
    let value = 0;
    let seen = -1;
    const sync = new CoalescingSync(async () => {
      const snapshot = value;
      await new Promise((resolve) => setTimeout(resolve, 5));
      seen = snapshot;
      log.push(`sync saw ${snapshot}`);
    });
    const first = sync.request();
    await new Promise((resolve) => setTimeout(resolve, 1));
    value = 1;
    await sync.request();
    expect(seen).toBe(1);
    await first;
    expect(log).toEqual(['sync saw 0', 'sync saw 1']);
  });

  it('passes a failed sync to its callers and keeps serving later requests', async () => {
    let fail = true;
    const sync = new CoalescingSync(async () => {
      if (fail) throw new Error('nft said no');
    });
    await expect(sync.request()).rejects.toThrow('nft said no');
    fail = false;
    await expect(sync.request()).resolves.toBeUndefined();
  });

  it('as a read: every caller gets the value of a read that began after its call', async () => {
    let value = 0;
    const reads: number[] = [];
    const read = new CoalescingSync(async () => {
      const snapshot = value;
      reads.push(snapshot);
      await new Promise((resolve) => setTimeout(resolve, 5));
      return snapshot;
    });
    const first = read.request();
    await Promise.resolve();
    value = 1;
    const during = [read.request(), read.request()];
    expect(await first).toBe(0);
    expect(await Promise.all(during)).toEqual([1, 1]);
    expect(reads).toEqual([0, 1]);
  });
});
