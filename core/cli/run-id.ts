import { randomBytes } from 'node:crypto';

/** Sortable and unique: `20261123-013045-a1b2c3`. Cluster and namespace names derive from it. */
export function newRunId(now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}
