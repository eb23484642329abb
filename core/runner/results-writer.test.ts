import { mkdtemp, open, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testCell, testHeader, testProfile } from '../../reports/fixtures/samples.ts';
import { parseResultsText } from '../../reports/read-results.ts';
import { InfrastructureError } from '../domain/errors.ts';
import { ResultsWriter, type OpenResultsFile } from './results-writer.ts';

const header = testHeader('r1', [testProfile('p')], ['A1', 'A2', 'A3', 'A4', 'A5', 'A6']);

function enospc(): NodeJS.ErrnoException {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
}

/**
 * The real file system with a byte budget, like a disk that fills up: the write that crosses the budget is
 * short (part of the line lands on disk, as on a real full disk), the next one fails with ENOSPC.
 */
function fillingDisk(budget: number): OpenResultsFile {
  return async (path) => {
    const handle = await open(path, 'w');
    let used = 0;
    return {
      write: async (data, position) => {
        const room = budget - used;
        if (room <= 0) throw enospc();
        const slice = data.subarray(0, Math.min(room, data.length));
        const { bytesWritten } = await handle.write(slice, 0, slice.length, position);
        used += bytesWritten;
        return bytesWritten;
      },
      truncate: (length) => handle.truncate(length),
      close: () => handle.close(),
    };
  };
}

describe('ResultsWriter', () => {
  it('writes the header and each cell as one complete line, then the end line', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'bm-writer-')), 'results.jsonl');
    const writer = await ResultsWriter.create(path, header);
    await Promise.all(['A1', 'A2', 'A3'].map((id) => writer.cell(testCell('r1', 'p', id))));
    await writer.end('r1', false);
    const parsed = parseResultsText(await readFile(path, 'utf8'), path);
    expect(parsed.cells.map((cell) => cell.attackId)).toEqual(['A1', 'A2', 'A3']);
    expect(parsed.end).toMatchObject({ interrupted: false });
    expect(writer.failed()).toBeUndefined();
    expect(writer.written()).toHaveLength(3);
  });

  it('on a full disk keeps every complete line, truncates the torn one, counts the lost cells and reports once', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'bm-writer-')), 'results.jsonl');
    const headerBytes = Buffer.byteLength(`${JSON.stringify(header)}\n`);
    const cellBytes = Buffer.byteLength(`${JSON.stringify({ type: 'cell', cell: testCell('r1', 'p', 'A1') })}\n`);
    // Room for the header, two cells and half of a third.
    const failures: Error[] = [];
    const writer = await ResultsWriter.create(path, header, { openFile: fillingDisk(headerBytes + 2 * cellBytes + Math.floor(cellBytes / 2)), onFailure: (error) => failures.push(error) });
    for (const id of ['A1', 'A2', 'A3', 'A4', 'A5']) await writer.cell(testCell('r1', 'p', id));
    await writer.end('r1', false);

    const text = await readFile(path, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(Buffer.byteLength(text)).toBe(headerBytes + 2 * cellBytes);
    // Every line on disk parses: no torn line, no warning about one.
    const parsed = parseResultsText(text, path);
    expect(parsed.warnings).toEqual([]);
    expect(parsed.cells.map((cell) => cell.attackId)).toEqual(['A1', 'A2']);
    expect(writer.written().map((cell) => cell.attackId)).toEqual(['A1', 'A2']);
    expect(failures).toHaveLength(1);
    expect(failures[0]?.message).toMatch(/ENOSPC/);
    expect(writer.failed()).toMatchObject({ lostCells: 3, truncated: true });
  });

  it('a header that cannot be written is an infrastructure error, before anything runs', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'bm-writer-')), 'results.jsonl');
    await expect(ResultsWriter.create(path, header, { openFile: fillingDisk(10) })).rejects.toBeInstanceOf(InfrastructureError);
    // The torn header was cut off too.
    expect(await readFile(path, 'utf8')).toBe('');
  });

  it('says when the torn tail could not be cut off', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'bm-writer-')), 'results.jsonl');
    const real = fillingDisk(Buffer.byteLength(`${JSON.stringify(header)}\n`) + 40);
    const openFile: OpenResultsFile = async (file) => ({ ...(await real(file)), truncate: async () => Promise.reject(new Error('EIO')) });
    const writer = await ResultsWriter.create(path, header, { openFile });
    await writer.cell(testCell('r1', 'p', 'A1'));
    expect(writer.failed()).toMatchObject({ lostCells: 1, truncated: false });
  });
});
