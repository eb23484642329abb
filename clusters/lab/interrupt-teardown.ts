import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { EXIT } from '../../core/domain/errors.ts';
import { killGroup } from '../../core/host/kill-group.ts';
import type { LabCluster } from './lab-cluster.ts';

/** What a lab has made on the host, as far as a synchronous teardown can find it. */
export interface LabFootprint {
  /** Process groups the lab started (each long-running process leads its own group). */
  readonly processGroups: readonly number[];
  /** Its network namespaces: `ip netns add` bind-mounts each under /run/netns. */
  readonly namespaces: readonly string[];
  /** Its temp dir and /etc/netns dirs. */
  readonly paths: readonly string[];
}

function netnsPidsSync(netns: string): number[] {
  try {
    const out = execFileSync('ip', ['netns', 'pids', netns], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return out
      .split('\n')
      .map((line) => Number(line.trim()))
      .filter((pid) => Number.isInteger(pid) && pid > 0);
  } catch {
    return [];
  }
}

function killSync(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

/**
 * Removes a lab without awaiting anything, for a second Ctrl-C or a process `exit` handler: kills its process
 * groups, then every process still inside one of its namespaces (what a pod forked off, sidecar and ztunnel
 * stand-ins, attack scripts), deletes the namespaces (their /run/netns mounts go with them) and its dirs.
 * Each step is best effort and never skips the next.
 */
export function removeLabSync(footprint: LabFootprint): void {
  for (const pid of footprint.processGroups) killGroup(pid, 'SIGKILL');
  // Twice: a process being started while the first pass ran is caught by the second.
  for (let pass = 0; pass < 2; pass += 1) {
    for (const ns of footprint.namespaces) for (const pid of netnsPidsSync(ns)) killSync(pid);
  }
  if (footprint.namespaces.length > 0) {
    try {
      execFileSync('ip', ['-force', '-batch', '-'], { input: footprint.namespaces.map((ns) => `netns del ${ns}\n`).join(''), stdio: ['pipe', 'ignore', 'ignore'] });
    } catch {
      // best effort: -force keeps going past a missing namespace
    }
  }
  for (const path of footprint.paths) {
    try {
      rmSync(path, { recursive: true, force: true });
    } catch {
      // best effort
    }
  }
}

/**
 * For a script that holds one lab (test fixtures): tears it down on SIGINT/SIGTERM (then exits 130) and, as a
 * last resort, synchronously on process exit. Returns a function that removes the handlers. `breachmatrix run`
 * does not use this: its CLI runs the graceful teardown on the first Ctrl-C and every lab's `teardownSync()`
 * (registered through `ClusterCreateOptions.syncTeardowns`) on the second.
 */
export function installInterruptTeardown(cluster: LabCluster): () => void {
  const onSignal = (): void => {
    void cluster.teardown().finally(() => process.exit(EXIT.interrupted));
  };
  const onExit = (): void => cluster.teardownSync();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', onExit);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', onExit);
  };
}
