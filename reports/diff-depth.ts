import type { Cell } from '../core/domain/cell.ts';
import type { CellDepth } from '../core/domain/depth.ts';

export type DepthChange = { readonly kind: 'worse' | 'better' | 'changed'; readonly reason: string } | undefined;

function stopping(depth: CellDepth): string {
  return depth.layers.filter((entry) => entry.stops).map((entry) => entry.policies).join('+') || 'none';
}

function shown(depth: CellDepth): string {
  return depth.count === undefined ? `incomplete (≥${depth.atLeast ?? 0})` : String(depth.count);
}

/**
 * How the depth of one (profile, attack) moved between OLD and NEW. Fails closed: a depth OLD measured that NEW lost,
 * left incomplete or did not measure at all is worse, never "same". A depth only NEW has is not a difference.
 */
export function compareDepth(before: Cell, after: Cell): DepthChange {
  const was = before.depth;
  const now = after.depth;
  if (was === undefined) return undefined;
  if (now === undefined) return { kind: 'worse', reason: `depth ${shown(was)} → not measured` };
  if (was.count === undefined) {
    if (now.count === undefined) return undefined;
    return { kind: 'changed', reason: `depth ${shown(was)} → ${shown(now)}` };
  }
  if (now.count === undefined) return { kind: 'worse', reason: `depth ${shown(was)} → ${shown(now)}` };
  if (now.count < was.count) return { kind: 'worse', reason: `depth ${was.count} → ${now.count} (depth lost: ${stopping(was)} → ${stopping(now)})` };
  if (now.count > was.count) return { kind: 'better', reason: `depth ${was.count} → ${now.count} (${stopping(was)} → ${stopping(now)})` };
  if (stopping(was) !== stopping(now)) return { kind: 'changed', reason: `depth ${was.count}, stopped alone by ${stopping(was)} → ${stopping(now)} (sideways)` };
  return undefined;
}
