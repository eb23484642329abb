import { appendFile } from 'node:fs/promises';
import { writeOutputFile } from '../host/owned-files.ts';
import type { Cell } from '../domain/cell.ts';
import type { ProfileErrorLine, ResultLine, RunHeaderLine } from '../domain/results.ts';
import type { SceneSelfTestLine } from '../domain/scene-self-test.ts';

/**
 * Appends result lines to results.jsonl as they become known. Writes are serialised through one promise chain
 * so concurrent cells never interleave, and each line is on disk before the cell is reported: an interrupted
 * run keeps every finished cell.
 */
export class ResultsWriter {
  readonly path: string;
  private chain: Promise<void> = Promise.resolve();
  private readonly cells: Cell[] = [];

  private constructor(path: string) {
    this.path = path;
  }

  static async create(path: string, header: RunHeaderLine): Promise<ResultsWriter> {
    await writeOutputFile(path, `${JSON.stringify(header)}\n`);
    return new ResultsWriter(path);
  }

  private append(line: ResultLine): Promise<void> {
    const next = this.chain.then(() => appendFile(this.path, `${JSON.stringify(line)}\n`));
    this.chain = next.catch(() => undefined);
    return next;
  }

  async cell(cell: Cell): Promise<void> {
    this.cells.push(cell);
    await this.append({ type: 'cell', cell });
  }

  async profileError(line: Omit<ProfileErrorLine, 'type'>): Promise<void> {
    await this.append({ type: 'profile-error', ...line });
  }

  /** A profile's scene self-test table, written before any of its cells. */
  async scene(line: Omit<SceneSelfTestLine, 'type'>): Promise<void> {
    await this.append({ type: 'scene', ...line });
  }

  async end(runId: string, interrupted: boolean): Promise<void> {
    await this.append({ type: 'end', runId, finishedAt: new Date().toISOString(), interrupted });
  }

  /** Cells written so far, in the order they finished. */
  written(): readonly Cell[] {
    return [...this.cells];
  }

  async flushed(): Promise<void> {
    await this.chain;
  }
}
