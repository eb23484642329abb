import { setImmediate as nextTurn } from 'node:timers/promises';

interface Timer {
  readonly at: number;
  readonly order: number;
  readonly fire: () => void;
}

/**
 * One fake clock for sleeps and probes alike: it jumps to the earliest pending timer only when every promise that
 * could run has run, so overlapping probes finish in the order their durations say. A sleep cancelled through its
 * signal leaves the queue (else it would drag the clock forward).
 */
export class VirtualTime {
  private clock = 0;
  private order = 0;
  private timers: Timer[] = [];

  readonly now = (): number => this.clock;

  /** Calls `fire` `ms` from now. */
  after(ms: number, fire: () => void): Timer {
    const timer = { at: this.clock + Math.max(0, ms), order: this.order++, fire };
    this.timers.push(timer);
    return timer;
  }

  /** Resolves after `ms`, or at once when `signal` aborts. */
  readonly sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise((resolve) => {
      const timer = this.after(ms, resolve);
      signal?.addEventListener('abort', () => {
        this.timers = this.timers.filter((pending) => pending !== timer);
        resolve();
      }, { once: true });
    });

  /** Resolves with `value` after `ms`. */
  resolveAfter<T>(ms: number, value: () => T): Promise<T> {
    return new Promise((resolve, reject) => {
      this.after(ms, () => {
        try {
          resolve(value());
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
    });
  }

  /** Settles `work`, firing the earliest timer whenever nothing else can run; the clock stays where it settled. */
  async run<T>(work: Promise<T>): Promise<T> {
    let settled = false;
    work.then(() => { settled = true; }, () => { settled = true; });
    for (;;) {
      await nextTurn();
      if (settled) return work;
      const next = [...this.timers].sort((a, b) => a.at - b.at || a.order - b.order)[0];
      if (next === undefined) throw new Error('virtual time: the work waits on nothing that a timer can settle');
      this.timers = this.timers.filter((pending) => pending !== next);
      this.clock = next.at;
      next.fire();
    }
  }
}
