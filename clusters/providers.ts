import type { ClusterProvider } from '../core/domain/cluster.ts';
import type { ProviderName } from '../core/domain/profile.ts';
import { createKindProvider } from './kind/index.ts';
import { createKubeconfigProvider } from './kubeconfig/index.ts';
import { createLabProvider } from './lab/index.ts';

export interface ProviderSelection {
  readonly name: ProviderName;
  readonly pinsFile?: string;
  /** kind: run against an already created breachmatrix cluster. */
  readonly reuse?: string;
  readonly registryCache?: boolean;
  /** kubeconfig: the context to attack, and the explicit consent. */
  readonly context?: string;
  readonly kubeconfigPath?: string;
  readonly expectedServer?: string;
  readonly iUnderstand?: boolean;
}

/**
 * The providers a user may select. The in-memory provider of the project's own tests is deliberately not here:
 * it replays scripted signals and must never produce a report a user could mistake for a measurement.
 */
export function providerFor(selection: ProviderSelection): ClusterProvider {
  switch (selection.name) {
    case 'lab':
      return createLabProvider();
    case 'kind':
      return createKindProvider({
        ...(selection.pinsFile ? { pinsFile: selection.pinsFile } : {}),
        ...(selection.reuse ? { reuse: selection.reuse } : {}),
        registryCache: selection.registryCache ?? false,
      });
    case 'kubeconfig':
      return createKubeconfigProvider({
        ...(selection.kubeconfigPath ? { kubeconfigPath: selection.kubeconfigPath } : {}),
        context: selection.context ?? '',
        iUnderstand: selection.iUnderstand ?? false,
        ...(selection.expectedServer ? { expectedServer: selection.expectedServer } : {}),
      });
  }
}
