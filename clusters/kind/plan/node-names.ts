import type { InstallerContext } from './installer-context.ts';

/** kind's node container names: `<cluster>-control-plane`, `<cluster>-worker`, `<cluster>-worker2`, … */
export function nodeNamesOf(context: Pick<InstallerContext, 'clusterName' | 'profile'>): string[] {
  const workers = Array.from({ length: context.profile.options.workers }, (_, index) => `${context.clusterName}-worker${index === 0 ? '' : index + 1}`);
  return [`${context.clusterName}-control-plane`, ...workers];
}
