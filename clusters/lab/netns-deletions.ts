import { CoalescingSync } from './coalescing-sync.ts';
import { deleteNetns } from './topology.ts';

/**
 * Pod network namespaces deleted together: names asked for while a deletion runs go, all at once, into the next
 * `ip -force -batch` (pods of a cell end together), instead of one `ip` process per pod. Each call resolves once a
 * batch begun after it — holding its name — has run; like deleteNetns, a name already gone is no error.
 */
export class NetnsDeletions {
  private readonly pending = new Set<string>();
  private readonly batches = new CoalescingSync(async () => {
    const names = [...this.pending];
    this.pending.clear();
    await deleteNetns(names);
  });

  delete(netns: string): Promise<void> {
    this.pending.add(netns);
    return this.batches.request();
  }
}
