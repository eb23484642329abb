import { describe, expect, it } from 'vitest';
import { SyncTeardowns } from '../runner/sync-teardowns.ts';
import { interruptController } from './interrupt.ts';

class Exited extends Error {
  readonly code: number;
  constructor(code: number) {
    super(`exit ${code}`);
    this.code = code;
  }
}

describe('interruptController', () => {
  it('first signal aborts gracefully; the second runs the synchronous teardowns, then exits 130', () => {
    const events: string[] = [];
    const teardowns = new SyncTeardowns();
    teardowns.add('lab bml-aaaaaa (lab:netpol)', () => events.push('lab a removed'));
    const unregister = teardowns.add('lab bml-bbbbbb (lab:none)', () => events.push('lab b removed'));
    teardowns.add('lab bml-cccccc (lab:sidecar)', () => {
      throw new Error('ip: permission denied');
    });
    unregister();
    const exit = (code: number): never => {
      events.push(`exit ${code}`);
      throw new Exited(code);
    };
    let report: string[] = [];
    const interrupt = interruptController({ onFirst: (signal) => events.push(`first ${signal}`), onSecond: () => (report = teardowns.runAll()) }, exit);
    try {
      process.emit('SIGINT', 'SIGINT');
      expect(interrupt.signal.aborted).toBe(true);
      expect(events).toEqual(['first SIGINT']);
      expect(() => process.emit('SIGTERM', 'SIGTERM')).toThrow(Exited);
      // The unregistered lab (already torn down) is not touched; a failing teardown does not skip the others.
      expect(events).toEqual(['first SIGINT', 'lab a removed', 'exit 130']);
      expect(report).toEqual(['lab bml-aaaaaa (lab:netpol): removed', 'lab bml-cccccc (lab:sidecar): teardown failed: ip: permission denied']);
      expect(teardowns.size()).toBe(0);
    } finally {
      interrupt.dispose();
    }
  });

  it('exits 130 even when the synchronous teardown throws', () => {
    const codes: number[] = [];
    const interrupt = interruptController(
      {
        onFirst: () => undefined,
        onSecond: () => {
          throw new Error('boom');
        },
      },
      (code) => {
        codes.push(code);
        throw new Exited(code);
      },
    );
    try {
      process.emit('SIGINT', 'SIGINT');
      expect(() => process.emit('SIGINT', 'SIGINT')).toThrow(Exited);
      expect(codes).toEqual([130]);
    } finally {
      interrupt.dispose();
    }
  });
});
