/**
 * Timeouts specific to the lab sidecar. They live here rather than in core/timeouts.ts because nothing
 * outside this folder waits on these steps; the pod-level budget is still TIMEOUTS.labPodReadyMs.
 */
export const SIDECAR_TIMEOUTS = {
  /** One local tool run (openssl, iptables-restore, ip): these finish in milliseconds when healthy. */
  toolMs: 10_000,
  /**
   * The proxy's listeners accept connections after the process started: ~50 ms when idle, seconds on a loaded
   * 2-core machine (5 s was exceeded in determinism runs at --concurrency 64). A readiness budget, never a verdict.
   */
  proxyListenMs: 10_000,
  /** Polling interval while waiting for listeners. */
  proxyListenPollMs: 25,
  /** A stopping proxy (SIGTERM, then SIGKILL past this). */
  proxyStopMs: 2_000,
  /**
   * Evidence: how long to wait for an attempt's access-log line. HAProxy writes a TCP line when the connection
   * closes, a moment after the client returned; past this the attempt left no line (a bypass).
   */
  proxyLogSettleMs: 500,
  /** Polling interval while waiting for that line. */
  proxyLogPollMs: 50,
} as const;

/** Proxy-side idle budgets (HAProxy `timeout client/server`); generous so slow attack scripts are not cut. */
export const PROXY_IDLE_MS = 30_000;
/** How long the inbound listener waits for a TLS ClientHello before treating a silent client as plaintext. */
export const PROXY_PROTOCOL_SNIFF_MS = 1_000;
