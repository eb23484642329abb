/**
 * Runs one state sync at a time and folds requests together: a request made while a sync runs is served by the
 * next sync, which starts once the running one ends and covers every request made meanwhile. A burst of pod
 * creations then costs two or three syncs, not one full sync per pod in a queue (which serialised the lab).
 * The same holds for a read (T its result): every caller gets a result read after its own call.
 */
export class CoalescingSync<T = void> {
  private running: Promise<T> | undefined;
  private next: Promise<T> | undefined;
  private readonly task: () => Promise<T>;

  constructor(task: () => Promise<T>) {
    this.task = task;
  }

  /** Resolves once a sync that started after this call has finished (rejects with that sync's error). */
  request(): Promise<T> {
    if (this.next !== undefined) return this.next;
    if (this.running === undefined) return this.launch();
    const next = this.running
      .catch(() => undefined)
      .then(() => {
        this.next = undefined;
        return this.launch();
      });
    this.next = next;
    return next;
  }

  private launch(): Promise<T> {
    const run = Promise.resolve()
      .then(() => this.task())
      .finally(() => {
        if (this.running === run) this.running = undefined;
      });
    this.running = run;
    return run;
  }
}
