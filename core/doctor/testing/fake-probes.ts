import type { FreeDisk, HostProbes, ProbeCommandResult } from '../host-probes.ts';

export interface FakeHost {
  readonly platform?: NodeJS.Platform;
  readonly uid?: number;
  /** Answers by `command arg…`; an unlisted command is "not installed" (exit 127). */
  readonly commands?: Readonly<Record<string, ProbeCommandResult>>;
  readonly files?: Readonly<Record<string, string>>;
  readonly freeDisk?: (path: string) => FreeDisk;
  readonly head?: (url: string) => { readonly status: number } | { readonly error: string };
}

/** Probes answering from a table, recording every command and URL asked for. */
export function fakeProbes(host: FakeHost): HostProbes & { readonly execs: string[]; readonly heads: string[]; readonly inputs: string[] } {
  const execs: string[] = [];
  const heads: string[] = [];
  const inputs: string[] = [];
  return {
    platform: host.platform ?? 'linux',
    uid: host.uid ?? 0,
    execs,
    heads,
    inputs,
    async exec(command, args, options = {}) {
      const line = [command, ...args].join(' ');
      execs.push(line);
      if (options.input !== undefined) inputs.push(options.input);
      return host.commands?.[line] ?? { exitCode: 127, stdout: '', stderr: `spawn ${command} ENOENT` };
    },
    readText: async (path) => host.files?.[path],
    freeDisk: async (path) => (host.freeDisk ?? ((at: string) => ({ path: at, bytes: 500 * 1024 ** 3 })))(path),
    async head(url) {
      heads.push(url);
      return (host.head ?? (() => ({ error: 'no network in tests' })))(url);
    },
  };
}
