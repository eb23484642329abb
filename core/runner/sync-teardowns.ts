import type { SyncTeardownRegistry } from '../domain/cluster.ts';

/**
 * The synchronous teardowns of everything the run has made. A second Ctrl-C cannot wait for the graceful
 * (async) teardown, so the CLI runs these, each on its own (one failing never skips the others), then exits.
 */
export class SyncTeardowns implements SyncTeardownRegistry {
  private readonly entries = new Map<symbol, { readonly label: string; readonly teardown: () => void }>();

  add(label: string, teardown: () => void): () => void {
    const key = Symbol(label);
    this.entries.set(key, { label, teardown });
    return () => {
      this.entries.delete(key);
    };
  }

  /** Runs and removes every registered teardown; returns one line per teardown (label and what happened). */
  runAll(): string[] {
    const report: string[] = [];
    for (const [key, { label, teardown }] of [...this.entries]) {
      this.entries.delete(key);
      try {
        teardown();
        report.push(`${label}: removed`);
      } catch (error) {
        report.push(`${label}: teardown failed: ${(error as Error).message}`);
      }
    }
    return report;
  }

  size(): number {
    return this.entries.size;
  }
}
