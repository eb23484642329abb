import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import type { SinkRecord } from '../../core/domain/cluster.ts';
import { InfrastructureError } from '../../core/domain/errors.ts';

const PROTOCOLS: ReadonlySet<string> = new Set(['http', 'tcp', 'udp', 'icmp', 'dns']);

/** One sink record as the sink writes it (its query API answers the same objects), checked field by field. */
export function sinkRecordOf(record: unknown): SinkRecord {
  if (typeof record !== 'object' || record === null) throw new InfrastructureError('sink', 'a sink record is not an object');
  const { canary, protocol, from, at } = record as Record<string, unknown>;
  if (typeof canary !== 'string' || typeof protocol !== 'string' || !PROTOCOLS.has(protocol) || typeof from !== 'string' || typeof at !== 'string') {
    throw new InfrastructureError('sink', `unexpected sink record ${JSON.stringify(record)}`);
  }
  return { canary, protocol: protocol as SinkRecord['protocol'], from, at };
}

/**
 * The lab sink's records, read from its own log: the sink writes one `{"event": "canary", …}` JSON line per record,
 * under the lock that adds it to the store its query API reads (attack-pods/sink/record_store.py), flushed at once.
 * Reading that file in this process answers "what arrived with this canary" without a process per question
 * (before: `ip netns exec <internet> curl <query API>` per poll, about a fifth of a lab run's spawns).
 * Only whole lines count; other lines (the ready event, errors) are not records.
 */
export class SinkRecordLog {
  private readonly path: string;
  private offset = 0;
  private partial = '';
  private readonly byCanary = new Map<string, SinkRecord[]>();
  private reading: Promise<void> = Promise.resolve();
  /** Set by an unreadable line: from then on the log cannot say what did not arrive, so every question fails. */
  private broken: InfrastructureError | undefined;

  constructor(path: string) {
    this.path = path;
  }

  /** Every record carrying `canary` that the sink has logged by now. */
  async received(canary: string): Promise<readonly SinkRecord[]> {
    // One read at a time: concurrent callers share the file offset.
    const read = this.reading.then(() => this.readNew());
    this.reading = read.catch(() => undefined);
    await read;
    if (this.broken !== undefined) throw this.broken;
    return [...(this.byCanary.get(canary) ?? [])];
  }

  private async readNew(): Promise<void> {
    // The log is made by the lab (root, in its work folder); never followed through a link. Opened per read, so
    // nothing stays open past the lab's teardown.
    const handle = await open(this.path, constants.O_RDONLY | constants.O_NOFOLLOW);
    const chunks: string[] = [];
    try {
      const buffer = Buffer.alloc(64 * 1024);
      for (;;) {
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, this.offset);
        if (bytesRead === 0) break;
        this.offset += bytesRead;
        chunks.push(buffer.toString('latin1', 0, bytesRead));
      }
    } finally {
      await handle.close();
    }
    if (chunks.length === 0) return;
    // latin1 keeps bytes 1:1 so a multi-byte character split across reads is decoded whole below.
    const text = this.partial + chunks.join('');
    const end = text.lastIndexOf('\n');
    this.partial = text.slice(end + 1);
    if (end < 0) return;
    for (const line of Buffer.from(text.slice(0, end), 'latin1').toString('utf8').split('\n')) {
      try {
        this.take(line);
      } catch (error) {
        this.broken ??= error instanceof InfrastructureError ? error : new InfrastructureError('sink', String(error));
      }
    }
  }

  private take(line: string): void {
    if (!line.startsWith('{')) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      // The sink's own lines are whole JSON: a torn one may have been a record, and a lost record could read as blocked.
      throw new InfrastructureError('sink', `unreadable line in the sink log: ${line.slice(0, 200)}`, { cause: error });
    }
    if (typeof value !== 'object' || value === null || (value as { event?: unknown }).event !== 'canary') return;
    const record = sinkRecordOf(value);
    const list = this.byCanary.get(record.canary);
    if (list === undefined) this.byCanary.set(record.canary, [record]);
    else list.push(record);
  }
}
