/**
 * First Ctrl-C: abort the run gracefully (stop starting attacks, tear down, write reports for what finished).
 * Second Ctrl-C: the user means it — exit now with 130.
 */
export function interruptController(onFirst: (signal: NodeJS.Signals) => void): { readonly signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  let count = 0;
  const handler = (signal: NodeJS.Signals): void => {
    count += 1;
    if (count === 1) {
      onFirst(signal);
      controller.abort(new Error(`received ${signal}`));
    } else {
      process.exit(130);
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
