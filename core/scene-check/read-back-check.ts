import type { KubeObject } from '../domain/cluster.ts';
import type { SceneCheck } from '../domain/scene-self-test.ts';
import { subsetDifferences } from './object-subset.ts';

/** How many differing paths the row names per object before summarising (the rest are counted). */
const PATHS_PER_OBJECT = 5;

/** `Kind namespace/name` (or `Kind name` when cluster-scoped). */
export function objectLabel(object: KubeObject): string {
  const where = object.metadata.namespace === undefined ? object.metadata.name : `${object.metadata.namespace}/${object.metadata.name}`;
  return `${object.kind} ${where}`;
}

/** One row: every applied object, read back, must contain every field the harness sent; the detail names each path that differs. */
export function readBackCheck(sent: readonly KubeObject[], live: readonly (KubeObject | undefined)[]): SceneCheck {
  const problems: string[] = [];
  let differing = 0;
  sent.forEach((object, index) => {
    const found = live[index];
    const paths = found === undefined ? ['absent from the cluster'] : subsetDifferences(object, found);
    if (paths.length === 0) return;
    differing += 1;
    const shown = paths.slice(0, PATHS_PER_OBJECT).join('; ');
    problems.push(`${objectLabel(object)}: ${shown}${paths.length > PATHS_PER_OBJECT ? `; and ${paths.length - PATHS_PER_OBJECT} more` : ''}`);
  });
  return {
    name: 'read-back of every applied object',
    kind: 'read-back',
    expected: `${sent.length} objects, each containing every field sent`,
    observed: differing === 0 ? `${sent.length} of ${sent.length} match` : `${differing} of ${sent.length} differ`,
    tries: 1,
    passed: differing === 0,
    detail: problems.join(' | '),
  };
}
