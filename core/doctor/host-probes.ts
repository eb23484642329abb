import { readFile, statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import { execa } from 'execa';
import { TIMEOUTS } from '../timeouts.ts';

export interface ProbeCommandResult {
  /** 127 when the command could not be started (not installed). */
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface FreeDisk {
  /** The directory measured: the path itself or its nearest existing parent. */
  readonly path: string;
  readonly bytes: number;
}

/** Everything a doctor check reads from the host; injected in tests so each failure mode is reproducible. */
export interface HostProbes {
  readonly platform: NodeJS.Platform;
  readonly uid: number | undefined;
  exec(command: string, args: readonly string[], options?: { readonly input?: string }): Promise<ProbeCommandResult>;
  /** A file's text, or undefined when it does not exist or cannot be read. */
  readText(path: string): Promise<string | undefined>;
  freeDisk(path: string): Promise<FreeDisk>;
  /** HTTP status of a HEAD request (redirects followed), or the network error's message. */
  head(url: string): Promise<{ readonly status: number } | { readonly error: string }>;
}

async function freeDiskAt(path: string): Promise<FreeDisk> {
  let current = path;
  for (;;) {
    try {
      const stats = await statfs(current);
      return { path: current, bytes: stats.bavail * stats.bsize };
    } catch (error) {
      const parent = dirname(current);
      if (parent === current) throw error;
      current = parent;
    }
  }
}

export function realHostProbes(): HostProbes {
  return {
    platform: process.platform,
    uid: typeof process.getuid === 'function' ? process.getuid() : undefined,
    async exec(command, args, options = {}) {
      const result = await execa(command, [...args], {
        reject: false,
        timeout: TIMEOUTS.doctorProbeMs,
        ...(options.input === undefined ? { stdin: 'ignore' as const } : { input: options.input }),
      });
      const started = typeof result.exitCode === 'number';
      return {
        exitCode: result.exitCode ?? 127,
        stdout: String(result.stdout ?? ''),
        stderr: started ? String(result.stderr ?? '') : (result.shortMessage ?? 'could not start'),
      };
    },
    readText: (path) => readFile(path, 'utf8').catch(() => undefined),
    freeDisk: freeDiskAt,
    async head(url) {
      try {
        const response = await fetch(url, { method: 'HEAD', redirect: 'follow', signal: AbortSignal.timeout(TIMEOUTS.doctorProbeMs) });
        return { status: response.status };
      } catch (error) {
        const cause = (error as Error & { cause?: Error }).cause;
        return { error: cause?.message ?? (error as Error).message };
      }
    },
  };
}

/** `MemAvailable` of /proc/meminfo in bytes (the kernel's estimate of memory usable without swapping). */
export function parseMemAvailable(meminfo: string): number | undefined {
  const match = /^MemAvailable:\s+(\d+)\s+kB$/m.exec(meminfo);
  return match?.[1] === undefined ? undefined : Number(match[1]) * 1024;
}

export function formatBytes(bytes: number): string {
  const gib = bytes / 1024 ** 3;
  return gib >= 1 ? `${gib.toFixed(1)} GiB` : `${Math.round(bytes / 1024 ** 2)} MiB`;
}
