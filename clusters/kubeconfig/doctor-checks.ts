import { VersionApi, type KubeConfig } from '@kubernetes/client-node';
import { fail, ok, type Check } from '../../core/doctor/check.ts';
import type { HostProbes } from '../../core/doctor/host-probes.ts';
import { guardKubeconfig, kubeconfigCandidates, type KubeconfigTarget } from './guard.ts';

export interface KubeconfigDoctorOptions {
  readonly target: KubeconfigTarget;
  readonly probes: HostProbes;
  /** `$KUBECONFIG` and the home directory, for the files client-node would read. */
  readonly env?: NodeJS.ProcessEnv;
  /** Asks the API server for its version; only called with the user's consent. */
  readonly serverVersion?: (kubeConfig: KubeConfig) => Promise<string>;
}

async function defaultServerVersion(kubeConfig: KubeConfig): Promise<string> {
  const info = await kubeConfig.makeApiClient(VersionApi).getCode();
  return info.gitVersion;
}

/**
 * The guard's own file checks (file, context, --server), without the consent: the consent is its own check below,
 * and the guard reads files only — it never contacts the server.
 */
function targetContext(target: KubeconfigTarget): KubeConfig {
  return guardKubeconfig({ ...target, iUnderstand: true });
}

/**
 * A real kubeconfig file holding the named context (the guard's own file checks, no request), the consent flag,
 * and — only with that consent — the API server answering /version.
 */
export function kubeconfigDoctorChecks(options: KubeconfigDoctorOptions): readonly Check[] {
  const { target, probes } = options;
  const { files } = kubeconfigCandidates(target.kubeconfigPath, options.env);
  const consentFlag = '--i-understand-this-attacks-the-cluster';
  const readable = async (): Promise<string[]> => {
    const found: string[] = [];
    for (const file of files) if ((await probes.readText(file)) !== undefined) found.push(file);
    return found;
  };
  return [
    {
      id: 'kubeconfig.file',
      title: 'kubeconfig file',
      run: async () => {
        const found = await readable();
        if (found.length > 0) return ok(`reading ${found.join(', ')}`);
        // client-node would fall back to an in-cluster or localhost:8080 config: not a file the user chose.
        return fail(`no readable kubeconfig at ${files.join(', ')}`, 'pass --kubeconfig <file>, or set KUBECONFIG to the file holding the context');
      },
    },
    {
      id: 'kubeconfig.context',
      title: 'kubeconfig context',
      run: async () => {
        if (target.context === '') return fail('no context named', 'pass --context <name> (see `kubectl config get-contexts`)');
        // Without a file, client-node invents a localhost context: looking for the named one there means nothing.
        if ((await readable()).length === 0) return fail(`no kubeconfig file to look for context "${target.context}" in`, 'fix the kubeconfig file check first');
        try {
          const kubeConfig = targetContext(target);
          const cluster = kubeConfig.getCurrentCluster();
          return ok(`context "${target.context}" → cluster ${cluster?.name ?? '?'} at ${cluster?.server ?? '?'}${target.expectedServer === undefined ? '' : ' (matches --server)'}`);
        } catch (error) {
          return fail((error as Error).message, 'pass the context and --server exactly as `kubectl config view` shows them');
        }
      },
    },
    {
      id: 'kubeconfig.consent',
      title: 'consent to attack the cluster',
      run: async () =>
        target.iUnderstand
          ? ok(`${consentFlag} given`)
          : fail(`run refuses an existing cluster without ${consentFlag} (attacks create privileged pods and change iptables)`, `add ${consentFlag} if this cluster may be attacked`),
    },
    {
      id: 'kubeconfig.api',
      title: 'API server',
      run: async () => {
        if (!target.iUnderstand) {
          return fail(`not contacted: doctor sends no request to a cluster without ${consentFlag}`, `add ${consentFlag} to let doctor ask the API server for /version`);
        }
        const kubeConfig = targetContext(target);
        try {
          return ok(`${kubeConfig.getCurrentCluster()?.server ?? '?'} answers /version: ${await (options.serverVersion ?? defaultServerVersion)(kubeConfig)}`);
        } catch (error) {
          return fail(`${kubeConfig.getCurrentCluster()?.server ?? '?'} did not answer /version: ${(error as Error).message}`, 'check the network path and the credentials of the context (`kubectl --context … version`)');
        }
      },
    },
  ];
}
