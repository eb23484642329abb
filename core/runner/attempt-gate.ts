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

  constructor(interrupted: () => boolean) {
    this.interrupted = interrupted;
  }

  /** The cell to record for a finished attempt, or `undefined` when it was already sealed (record nothing). */
  settle(cell: Cell): Cell | undefined {
    if (this.sealed.has(cellKey(cell.profileId, cell.attackId))) return undefined;
    if (this.interrupted() && cell.outcome === 'error') return asNotRun(cell, 'interrupted while in flight');
    return cell;
  }

  /** Records `cell` as the final word for its (profile, attack); later results of that attempt are dropped. */
  seal(cell: Cell): void {
    this.sealed.set(cellKey(cell.profileId, cell.attackId), cell);
  }

  /** The sealed cell for (profile, attack), if any: what the attempt's test gets back. */
  sealedCell(profileId: string, attackId: string): Cell | undefined {
    return this.sealed.get(cellKey(profileId, attackId));
  }
}
