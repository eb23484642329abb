import type { KubeObject } from '../domain/cluster.ts';
import type { PolicyGroup } from '../domain/depth.ts';

/** The scene and each non-empty policy group of a stack, by name, in apply order. */
export interface LayeredScene {
  readonly scene: readonly KubeObject[];
  readonly groups: readonly { readonly group: PolicyGroup; readonly objects: readonly KubeObject[] }[];
}
