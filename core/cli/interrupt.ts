import { EXIT } from '../domain/errors.ts';

export interface InterruptHandlers {
  /** First Ctrl-C: the run stops gracefully (stop starting attacks, drain, async teardown, reports). */
  readonly onFirst: (signal: NodeJS.Signals) => void;
  /**
   * Second Ctrl-C: the user means it. Runs synchronously right before the process exits with 130, so it must
   * remove everything the run made without awaiting anything (namespaces, processes, mounts, temp dirs).
   */
  readonly onSecond: (signal: NodeJS.Signals) => void;
}

export interface InterruptController {
  readonly signal: AbortSignal;
  dispose(): void;
}

/** SIGINT/SIGTERM handling of `breachmatrix run`: graceful on the first signal, synchronous teardown then exit on the second. */
export function interruptController(handlers: InterruptHandlers, exit: (code: number) => never = process.exit): InterruptController {
  const controller = new AbortController();
  let count = 0;
  const handler = (signal: NodeJS.Signals): void => {
    count += 1;
    if (count === 1) {
      handlers.onFirst(signal);
      controller.abort(new Error(`received ${signal}`));
      return;
    }
    try {
      handlers.onSecond(signal);
    } finally {
      exit(EXIT.interrupted);
    }
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
