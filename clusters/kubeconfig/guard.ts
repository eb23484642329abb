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
  const kubeConfig = new KubeConfig();
  const where = target.kubeconfigPath ?? '$KUBECONFIG / ~/.kube/config';
  try {
    if (target.kubeconfigPath === undefined) kubeConfig.loadFromDefault();
    else kubeConfig.loadFromFile(target.kubeconfigPath);
  } catch (error) {
    throw new BadInputError(`cannot read kubeconfig (${(error as Error).message})`, where);
  }
  const context = kubeConfig.getContextObject(target.context);
  if (context === null) {
    throw new BadInputError(`no context "${target.context}"`, where, kubeConfig.getContexts().map((entry) => entry.name).join(', '));
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
