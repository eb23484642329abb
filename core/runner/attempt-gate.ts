import type { Cell } from '../domain/cell.ts';
import { asNotRun, cellKey } from './runner-cells.ts';

/**
 * What a finished attempt may record once the run is cut short.
 * - An attempt that ends in `error` after the interrupt may have been broken by the interrupt itself (its
 *   processes signalled, its pod's setup cut): it becomes `not-run`, never an error counted against the stack.
 *   A verdict reached before teardown began was measured on an intact cluster and is kept.
 * - An attempt still running when its cluster is torn down is sealed as `not-run` at that moment; whatever it
 *   returns later (a destination killed under it looks like a block) is dropped.
 */
export class AttemptGate {
  private readonly interrupted: () => boolean;
  private readonly sealed = new Map<string, Cell>();
  /** Keys whose finished attempt was let through: never sealed afterwards (one line per cell). */
  private readonly settled = new Set<string>();

  constructor(interrupted: () => boolean) {
    this.interrupted = interrupted;
  }

  /** The cell to record for a finished attempt, or `undefined` when it was already sealed (record nothing). */
  settle(cell: Cell): Cell | undefined {
    const key = cellKey(cell.profileId, cell.attackId);
    if (this.sealed.has(key)) return undefined;
    this.settled.add(key);
    if (this.interrupted() && cell.outcome === 'error') return asNotRun(cell, 'interrupted while in flight');
    return cell;
  }

  /**
   * Makes `cell` the final word for its (profile, attack): later results of that attempt are dropped. Returns
   * false (and seals nothing) when the attempt's own result was already let through.
   */
  seal(cell: Cell): boolean {
    const key = cellKey(cell.profileId, cell.attackId);
    if (this.settled.has(key) || this.sealed.has(key)) return false;
    this.sealed.set(key, cell);
    return true;
  }

  /** The sealed cell for (profile, attack), if any: what the attempt's test gets back. */
  sealedCell(profileId: string, attackId: string): Cell | undefined {
    return this.sealed.get(cellKey(profileId, attackId));
  }
}
