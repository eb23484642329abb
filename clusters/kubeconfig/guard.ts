import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { BadInputError } from '../../core/domain/errors.ts';

export interface KubeconfigTarget {
  readonly kubeconfigPath?: string;
  readonly context: string;
  /** `--i-understand-this-attacks-the-cluster`. */
  readonly iUnderstand: boolean;
  /** The API server URL the user says the context points at; compared exactly (trailing slash ignored). */
  readonly expectedServer?: string;
}

function normalise(server: string): string {
  return server.replace(/\/+$/, '');
}

/**
 * Where a kubeconfig is read from, as kubectl finds it: `--kubeconfig`, else every file in $KUBECONFIG, else
 * ~/.kube/config. `where` names which of the three it was, for messages.
 */
export function kubeconfigCandidates(explicitPath: string | undefined, env: NodeJS.ProcessEnv = process.env): { files: string[]; where: string } {
  const fromEnv = (env['KUBECONFIG'] ?? '').split(delimiter).filter((file) => file !== '');
  if (explicitPath !== undefined) return { files: [explicitPath], where: '--kubeconfig' };
  if (fromEnv.length > 0) return { files: fromEnv, where: '$KUBECONFIG' };
  return { files: [join(env['HOME'] ?? homedir(), '.kube', 'config')], where: '~/.kube/config (no --kubeconfig, $KUBECONFIG unset)' };
}

/**
 * The kubeconfig files the guard reads (kubeconfigCandidates). Each must exist: a context that is in no file is
 * never attacked.
 */
export function kubeconfigFiles(explicitPath: string | undefined, env: NodeJS.ProcessEnv = process.env): { files: string[]; where: string } {
  const { files, where } = kubeconfigCandidates(explicitPath, env);
  for (const file of files) {
    const info = statSync(file, { throwIfNoEntry: false });
    if (info?.isFile() !== true) {
      throw new BadInputError(`kubeconfig file ${file} ${info === undefined ? 'does not exist' : 'is not a file'}`, where, 'an existing kubeconfig file holding the context (pass --kubeconfig <file>)');
    }
  }
  return { files, where };
}

/**
 * The safety guard, run before any request: attacks create privileged pods and flush iptables, so an
 * existing cluster is only touched when the user opted in by flag and the context is the one they named.
 * Reads the kubeconfig file only; never contacts the server.
 */
export function guardKubeconfig(target: KubeconfigTarget): KubeConfig {
  if (!target.iUnderstand) {
    throw new BadInputError(
      `refusing to attack context "${target.context}" without --i-understand-this-attacks-the-cluster`,
      '--provider kubeconfig',
      'add --i-understand-this-attacks-the-cluster, or use --provider kind',
    );
  }
  const { files, where } = kubeconfigFiles(target.kubeconfigPath);
  const kubeConfig = new KubeConfig();
  try {
    // Files only, merged as kubectl does (first one wins): never client-node's loadFromDefault, which with no file
    // synthesises a context ("loaded-context" at http://localhost:8080, or the in-cluster one) the user never named.
    const [first = '', ...rest] = files;
    kubeConfig.loadFromFile(first);
    for (const file of rest) {
      const next = new KubeConfig();
      next.loadFromFile(file);
      kubeConfig.mergeConfig(next);
    }
  } catch (error) {
    throw new BadInputError(`cannot read kubeconfig (${(error as Error).message})`, where);
  }
  const context = kubeConfig.getContextObject(target.context);
  if (context === null) {
    throw new BadInputError(`no context "${target.context}" in ${files.join(', ')}`, where, kubeConfig.getContexts().map((entry) => entry.name).join(', '));
  }
  kubeConfig.setCurrentContext(target.context);
  const server = kubeConfig.getCurrentCluster()?.server;
  if (server === undefined) throw new BadInputError(`context "${target.context}" names no cluster`, where);
  if (target.expectedServer !== undefined && normalise(server) !== normalise(target.expectedServer)) {
    throw new BadInputError(
      `context "${target.context}" points at ${server}, not at ${target.expectedServer}`,
      '--server',
      server,
    );
  }
  return kubeConfig;
}
