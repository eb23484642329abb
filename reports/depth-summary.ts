import type { Cell } from '../core/domain/cell.ts';
import type { CellDepth } from '../core/domain/depth.ts';

/** A full-stack cell that only one policy group stops on its own. */
export interface SinglePointOfFailure {
  readonly profileId: string;
  readonly attackId: string;
  readonly title: string;
  /** The policy group that stops it alone, and the layer it is enforced by. */
  readonly policies: string;
  readonly layer: string;
}

/** A stack's depth figures, over its cells that carry a depth. */
export interface ProfileDepth {
  /** Cells with depth passes (not-applicable cells have none). */
  readonly cells: number;
  /** Of them, those whose every pass measured its group (`count` known). */
  readonly measured: number;
  /** Mean `count` over the measured cells; absent when none was measured. */
  readonly mean?: number;
  readonly singlePointsOfFailure: number;
  /** Cells blocked on the full stack where no group stops the attempt alone (only the groups together do). */
  readonly zeroDepthBlocked: number;
}

export function profileDepth(cells: readonly Cell[]): ProfileDepth | undefined {
  const withDepth = cells.filter((cell): cell is Cell & { depth: CellDepth } => cell.depth !== undefined);
  if (withDepth.length === 0) return undefined;
  const counts = withDepth.flatMap((cell) => (cell.depth.count === undefined ? [] : [cell.depth.count]));
  return {
    cells: withDepth.length,
    measured: counts.length,
    ...(counts.length > 0 ? { mean: Math.round((counts.reduce((sum, count) => sum + count, 0) / counts.length) * 100) / 100 } : {}),
    singlePointsOfFailure: withDepth.filter((cell) => cell.depth.count === 1).length,
    zeroDepthBlocked: withDepth.filter((cell) => cell.depth.count === 0 && cell.outcome === 'blocked').length,
  };
}

export function singlePointsOfFailure(cells: readonly Cell[]): SinglePointOfFailure[] {
  return cells.flatMap((cell) => {
    if (cell.depth?.count !== 1) return [];
    const alone = cell.depth.layers.find((entry) => entry.stops);
    if (alone === undefined) return [];
    return [{ profileId: cell.profileId, attackId: cell.attackId, title: cell.title, policies: alone.policies, layer: alone.layer }];
  });
}

/** `depth 2`, `depth 1 (SPOF)`, `depth ≥1 (incomplete)`; undefined without depth. */
export function depthLabel(depth: CellDepth | undefined): string | undefined {
  if (depth === undefined) return undefined;
  if (depth.count === undefined) return `depth ≥${depth.atLeast ?? 0} (incomplete)`;
  return depth.count === 1 ? 'depth 1 (single point of failure)' : `depth ${depth.count}`;
}

/** One line per pass: `cni-only: blocked by cni (confirmed)`. */
export function depthPassLines(depth: CellDepth): string[] {
  return depth.layers.map((entry) => {
    const verdict = entry.outcome === 'blocked' ? `blocked by ${entry.blockedBy ?? '?'}${entry.confidence ? ` (${entry.confidence})` : ''}` : entry.outcome;
    return `${entry.policies}-only: ${verdict}${entry.stops ? ' — stops it alone' : ''}${entry.reason && entry.outcome !== 'blocked' && entry.outcome !== 'allowed' ? ` — ${entry.reason}` : ''}`;
  });
}
