import { BadInputError } from '../../../core/domain/errors.ts';

/** Prefix of every kind cluster breachmatrix creates; the sweep removes only clusters with it. */
export const CLUSTER_PREFIX = 'bm-';

// kind names node containers `<cluster>-control-plane`/`-worker2`; hostnames stop at 63 characters.
const MAX_CLUSTER_NAME = 63 - '-control-plane'.length;

/** `bm-<run id>-<profile>`: the run id makes leftovers attributable, the profile makes them readable. */
export function kindClusterName(runId: string, profileId: string): string {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(runId)) {
    throw new BadInputError(`run id "${runId}" cannot be part of a cluster name`, 'run id', 'lowercase letters, digits and -');
  }
  const slug = profileId.replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
  const name = `${CLUSTER_PREFIX}${runId}-${slug}`;
  if (name.length > MAX_CLUSTER_NAME) {
    throw new BadInputError(`cluster name "${name}" is longer than ${MAX_CLUSTER_NAME} characters`, 'run id', 'a shorter run id');
  }
  return name;
}
