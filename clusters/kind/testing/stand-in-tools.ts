import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Stand-in `docker`, `kind` and `helm` executables for a rehearsal without Docker: each appends its name and
 * arguments (tab-separated, one call a line) to one log, in call order, and answers what the kind provider and
 * doctor read — the engine version, the pinned tool versions, a kubeconfig for `kind create cluster` (the
 * rehearsal's API server), success for everything else. `helm upgrade --install` keeps a copy of its values file
 * and `kind create cluster` of its config, so a test can compare what the tools were given with the plan.
 */
export interface StandInTools {
  /** Put first on PATH. */
  readonly binDir: string;
  /** Copies of the files the tools were given (`values-<release>.yaml`, `kind-config.yaml`). */
  readonly givenDir: string;
  /** Every call so far, as [tool, ...args]. */
  calls(): Promise<string[][]>;
}

export interface StandInOptions {
  readonly dir: string;
  readonly kubeconfig: string;
  readonly kindVersion: string;
  readonly helmVersion: string;
  readonly dockerVersion: string;
}

const RECORD = `log="$BM_STANDIN_DIR/calls.log"; { printf '%s' "$(basename "$0")"; for a in "$@"; do printf '\\t%s' "$a"; done; printf '\\n'; } >> "$log"`;

function script(body: string): string {
  return `#!/bin/sh\n${RECORD}\n${body}\nexit 0\n`;
}

export async function installStandInTools(options: StandInOptions): Promise<StandInTools & { env: Record<string, string> }> {
  const binDir = join(options.dir, 'bin');
  const givenDir = join(options.dir, 'given');
  await mkdir(binDir, { recursive: true });
  await mkdir(givenDir, { recursive: true });
  const tools: Record<string, string> = {
    docker: script(`case "$1" in
  version) printf '%s\\n' '{"Client":{"Version":"${options.dockerVersion}"},"Server":{"Version":"${options.dockerVersion}","ApiVersion":"1.47"}}' ;;
  info) echo "${options.dockerVersion}" ;;
esac`),
    kind: script(`case "$1" in
  version) echo "kind ${options.kindVersion} go1.24.0 linux/amd64" ;;
  create)
    pwd > "$BM_STANDIN_DIR/given/kind-create-cwd"
    while [ $# -gt 0 ]; do
      case "$1" in
        --kubeconfig) cp "$BM_STANDIN_KUBECONFIG" "$2" ;;
        --config) cp "$2" "$BM_STANDIN_DIR/given/kind-config.yaml" ;;
      esac
      shift
    done ;;
  get) [ "$2" = kubeconfig ] && cat "$BM_STANDIN_KUBECONFIG" ;;
esac`),
    helm: script(`case "$1" in
  version) echo "${options.helmVersion}" ;;
  upgrade)
    release="$3"
    while [ $# -gt 0 ]; do
      [ "$1" = --values ] && cp "$2" "$BM_STANDIN_DIR/given/values-$release.yaml"
      shift
    done ;;
esac`),
  };
  for (const [name, body] of Object.entries(tools)) {
    const file = join(binDir, name);
    await writeFile(file, body);
    await chmod(file, 0o755);
  }
  return {
    binDir,
    givenDir,
    env: { BM_STANDIN_DIR: options.dir, BM_STANDIN_KUBECONFIG: options.kubeconfig },
    async calls() {
      const text = await readFile(join(options.dir, 'calls.log'), 'utf8').catch(() => '');
      return text.split('\n').filter((line) => line !== '').map((line) => line.split('\t'));
    },
  };
}
