/**
 * Deadlines specific to the sink and workload-server processes and the sink's query API (milliseconds).
 * Kept here rather than in core/timeouts.ts because nothing outside attack-pods/sink uses them.
 */
export const SINK_TIMEOUTS = {
  /** A Python service prints its `ready` line (it binds in well under a second; this absorbs a loaded CI box). */
  startMs: 5_000,
  /** After SIGTERM, how long before SIGKILL. */
  stopMs: 2_000,
  /** One request to the query API. */
  queryMs: 3_000,
  /** Poll interval of `SinkClient.waitFor`. */
  pollIntervalMs: 100,
} as const;
