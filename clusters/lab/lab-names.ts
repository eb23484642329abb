import { randomBytes } from 'node:crypto';

/**
 * Every host-visible thing a lab makes (netns names, /etc/netns dirs, the temp dir) starts with
 * `LAB_NAME_ROOT` + a run-unique id, so two labs run side by side and a sweep finds a crashed run's leftovers.
 * Interface names live inside the lab's own namespaces (never in the root namespace), so they only need to be
 * unique per namespace and stay far below the 15-character limit.
 */
export const LAB_NAME_ROOT = 'bml-';

/** Matches any lab-made name: `bml-` + 6 lowercase alphanumerics + `-`. */
export const LAB_NAME_PATTERN = /^bml-[a-z0-9]{6}-/;

export function newLabPrefix(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(6);
  let id = '';
  for (const byte of bytes) id += alphabet[byte % alphabet.length];
  return `${LAB_NAME_ROOT}${id}`;
}

export interface LabNames {
  readonly prefix: string;
  readonly fabric: string;
  readonly internet: string;
  node(index: number): string;
  pod(index: number): string;
  /** Node-side veth of pod `index` (inside the node's namespace). */
  podVeth(index: number): string;
  /** Fabric-side veth of node `index` (inside the fabric namespace). */
  nodeUplink(index: number): string;
}

export function labNames(prefix: string): LabNames {
  return {
    prefix,
    fabric: `${prefix}-fabric`,
    internet: `${prefix}-inet`,
    node: (index) => `${prefix}-node${index}`,
    pod: (index) => `${prefix}-pod${index}`,
    podVeth: (index) => `veth${index}`,
    nodeUplink: (index) => `node${index}`,
  };
}
