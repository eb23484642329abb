import type { Expectation } from '../../../core/domain/attack.ts';
import type { StackTraits } from '../../../core/domain/profile.ts';
import { allowed, blocked, labNote } from '../expectation-builders.ts';

/** The source texts of one path-trick attack: where the request is decided is filled in per stack. */
export interface PathTrickSources {
  /** Every variant normalises onto the DENY: the 403 at `where`. */
  readonly blocked: (where: string) => string;
  /** `passing` gets through under the stack's mode and reaches api through `where`. */
  readonly allowed: (passing: string, where: string) => string;
}

/**
 * SC10 and SC11 on a stack whose mesh enforces L7 at `layer`: blocked (403) when the stack's path normalisation
 * sends every variant onto the DENY, otherwise allowed through that layer; the note names the mode measured.
 */
export function pathTrickExpectation(stack: StackTraits, layer: 'mesh-sidecar' | 'mesh-waypoint', passing: string | undefined, sources: PathTrickSources): Expectation {
  const mode = `measured under meshConfig.pathNormalization: ${stack.pathNormalization}`;
  const where = layer === 'mesh-sidecar' ? 'the destination sidecar' : 'the waypoint';
  if (passing === undefined) return blocked(layer, 'http-403', sources.blocked(where), stack.isLab ? 'inferred' : 'documented', labNote(stack, mode));
  return allowed(sources.allowed(passing, where), layer === 'mesh-sidecar' ? 'documented' : 'inferred', labNote(stack, mode));
}
