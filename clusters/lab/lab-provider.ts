import type { Cluster, ClusterCreateOptions, ClusterProvider } from '../../core/domain/cluster.ts';
import { BadInputError } from '../../core/domain/errors.ts';
import { LAB_STACKS, type Profile } from '../../core/domain/profile.ts';
import { LabCluster } from './lab-cluster.ts';
import { checkLabHost } from './preflight.ts';

/** The lab provider: real-kernel stand-in clusters for `lab:*` profiles. */
export function createLabProvider(): ClusterProvider {
  return {
    name: 'lab',
    preflight: async () => checkLabHost(),
    create: async (profile: Profile, options: ClusterCreateOptions): Promise<Cluster> => {
      if (profile.lab === undefined) {
        throw new BadInputError(`profile ${profile.id} is not a lab stack`, 'provider lab', LAB_STACKS.join(', '));
      }
      options.signal?.throwIfAborted();
      return LabCluster.create(profile, {
        runId: options.runId,
        onProgress: options.onProgress,
        ...(options.syncTeardowns ? { syncTeardowns: options.syncTeardowns } : {}),
      });
    },
  };
}
