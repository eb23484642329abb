import { constants, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { makeDirectories, OUTPUT_MODES } from '../host/owned-files.ts';
import type { Cell } from '../domain/cell.ts';
import { InfrastructureError } from '../domain/errors.ts';
import type { ProfileErrorLine, ResultLine, RunHeaderLine } from '../domain/results.ts';
import type { SceneSelfTestLine } from '../domain/scene-self-test.ts';

/** The few file operations the writer needs; tests inject a failing one (a full disk, a dying device). */
export interface ResultsFile {
  /** Writes `data` at byte `position`; resolves with how many bytes were written (a short write is allowed). */
  write(data: Uint8Array, position: number): Promise<number>;
  truncate(length: number): Promise<void>;
  close(): Promise<void>;
}

export type OpenResultsFile = (path: string) => Promise<ResultsFile>;

/**
 * results.jsonl on the local file system, created (or emptied) for this run: 0644 whatever the umask, never through
 * a link planted at its name, and written through the one descriptor for the whole run (no reopen by path).
 */
export const openResultsFile: OpenResultsFile = async (path) => {
  const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, OUTPUT_MODES.file);
  await handle.chmod(OUTPUT_MODES.file);
  return {
    write: async (data, position) => (await handle.write(data, 0, data.length, position)).bytesWritten,
    truncate: (length) => handle.truncate(length),
    close: () => handle.close(),
  };
};

export interface ResultsWriterOptions {
  /** Called once, on the first failed write: the run stops starting attacks. */
  readonly onFailure?: (error: Error) => void;
  readonly openFile?: OpenResultsFile;
}

/** What became of the run's lines once writing failed. */
export interface WriteFailure {
  readonly error: Error;
  /** Finished cells that are not in results.jsonl (the one whose write failed and every later one). */
  readonly lostCells: number;
  /** Whether the torn tail of the failed write was cut off again (the file ends with a complete line). */
  readonly truncated: boolean;
}

/**
 * Appends result lines to results.jsonl as they become known. Writes are serialised through one promise chain
 * so concurrent cells never interleave, and each line is written before the cell is reported: an interrupted
 * run keeps every finished cell. A line is written whole or not at all: when a write fails (ENOSPC, EIO…) the
 * file is truncated back to the end of the last complete line, nothing more is written, and every later cell
 * is counted as lost.
 */
export class ResultsWriter {
  readonly path: string;
  private readonly file: ResultsFile;
  private readonly onFailure: ((error: Error) => void) | undefined;
  private chain: Promise<void> = Promise.resolve();
  private readonly cells: Cell[] = [];
  /** Bytes of complete lines on disk. */
  private size = 0;
  private failure: { error: Error; truncated: boolean } | undefined;
  private lost = 0;
  private closed = false;

  private constructor(path: string, file: ResultsFile, options: ResultsWriterOptions) {
    this.path = path;
    this.file = file;
    this.onFailure = options.onFailure;
  }

  /** Creates (or empties) the file and writes the run header; a header that cannot be written is fatal. */
  static async create(path: string, header: RunHeaderLine, options: ResultsWriterOptions = {}): Promise<ResultsWriter> {
    await makeDirectories(dirname(path), OUTPUT_MODES.dir);
    const file = await (options.openFile ?? openResultsFile)(path);
    const writer = new ResultsWriter(path, file, options);
    await writer.append(header);
    if (writer.failure !== undefined) {
      await file.close().catch(() => undefined);
      throw new InfrastructureError('results', `cannot write the run header to ${path}: ${writer.failure.error.message}`, { cause: writer.failure.error });
    }
    return writer;
  }

  private append(line: ResultLine): Promise<void> {
    const next = this.chain.then(() => this.writeLine(line));
    this.chain = next;
    return next;
  }

  private async writeLine(line: ResultLine): Promise<void> {
    const isCell = line.type === 'cell';
    if (this.failure !== undefined || this.closed) {
      if (isCell) this.lost += 1;
      return;
    }
    const data = Buffer.from(`${JSON.stringify(line)}\n`, 'utf8');
    let written = 0;
    try {
      while (written < data.length) {
        const count = await this.file.write(data.subarray(written), this.size + written);
        if (count <= 0) throw new Error(`wrote 0 of ${data.length - written} bytes`);
        written += count;
      }
      this.size += data.length;
      if (isCell) this.cells.push(line.cell);
    } catch (error) {
      if (isCell) this.lost += 1;
      // Never leave a torn line: cut the file back to the last complete one.
      const truncated = await this.file.truncate(this.size).then(
        () => true,
        () => false,
      );
      const failure = error instanceof Error ? error : new Error(String(error));
      this.failure = { error: failure, truncated };
      this.onFailure?.(failure);
    }
  }

  /** Records a finished cell. Never rejects: a failed write is reported by `failed()`. */
  async cell(cell: Cell): Promise<void> {
    await this.append({ type: 'cell', cell });
  }

  async profileError(line: Omit<ProfileErrorLine, 'type'>): Promise<void> {
    await this.append({ type: 'profile-error', ...line });
  }

  /** A profile's scene self-test table, written before any of its cells. */
  async scene(line: Omit<SceneSelfTestLine, 'type'>): Promise<void> {
    await this.append({ type: 'scene', ...line });
  }

  /** Writes the `end` line and closes the file; later lines are counted as lost. */
  async end(runId: string, interrupted: boolean): Promise<void> {
    await this.append({ type: 'end', runId, finishedAt: new Date().toISOString(), interrupted });
    this.chain = this.chain.then(async () => {
      if (this.closed) return;
      this.closed = true;
      await this.file.close().catch(() => undefined);
    });
    await this.chain;
  }

  /** Cells in results.jsonl, in the order they finished. */
  written(): readonly Cell[] {
    return [...this.cells];
  }

  /** Undefined while every line was written. */
  failed(): WriteFailure | undefined {
    return this.failure === undefined ? undefined : { error: this.failure.error, lostCells: this.lost, truncated: this.failure.truncated };
  }

  async flushed(): Promise<void> {
    await this.chain;
  }
}
