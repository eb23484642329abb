import { appendFile, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SinkRecordLog } from './sink-record-log.ts';

const made: string[] = [];
afterAll(async () => {
  for (const dir of made) await rm(dir, { recursive: true, force: true });
});

async function logFile(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'bm-sink-log-'));
  made.push(dir);
  const path = join(dir, 'sink.log');
  await writeFile(path, '', { mode: 0o600 });
  return path;
}

/** A line as attack-pods/sink/record_store.py writes it (json.dumps with its default separators). */
function recordLine(canary: string, protocol: string, from = '10.244.1.5'): string {
  return `${JSON.stringify({ event: 'canary', canary, protocol, from, at: '2026-11-29T14:00:00.000Z', listener: protocol }).replaceAll('":', '": ').replaceAll(',"', ', "')}\n`;
}

describe('SinkRecordLog (the lab sink answered from its own record log)', () => {
  it('answers each canary with its records only, reading what was appended since the last question', async () => {
    const path = await logFile();
    const log = new SinkRecordLog(path);
    await appendFile(path, '{"event": "ready", "ports": {"http": 80}}\n' + recordLine('bm000000000000000a', 'http'));
    expect(await log.received('bm000000000000000b')).toEqual([]);
    expect(await log.received('bm000000000000000a')).toEqual([{ canary: 'bm000000000000000a', protocol: 'http', from: '10.244.1.5', at: '2026-11-29T14:00:00.000Z' }]);
    await appendFile(path, recordLine('bm000000000000000b', 'udp') + recordLine('bm000000000000000a', 'dns', '10.244.2.9'));
    expect((await log.received('bm000000000000000a')).map((record) => record.protocol)).toEqual(['http', 'dns']);
    expect((await log.received('bm000000000000000b')).map((record) => record.from)).toEqual(['10.244.1.5']);
  });

  it('counts a line only once it is whole, also when a read ends inside a multi-byte character', async () => {
    const path = await logFile();
    const log = new SinkRecordLog(path);
    const line = Buffer.from(recordLine('bm00000000000000c1', 'http', 'é-source'));
    const cut = line.indexOf(Buffer.from('é')) + 1;
    await appendFile(path, line.subarray(0, cut));
    expect(await log.received('bm00000000000000c1')).toEqual([]);
    await appendFile(path, line.subarray(cut));
    expect((await log.received('bm00000000000000c1'))[0]?.from).toBe('é-source');
  });

  it('concurrent questions each see every record logged before they asked', async () => {
    const path = await logFile();
    const log = new SinkRecordLog(path);
    const canaries = Array.from({ length: 40 }, (_, index) => `bm${index.toString(16).padStart(16, '0')}`);
    await appendFile(path, canaries.map((canary) => recordLine(canary, 'tcp')).join(''));
    const answers = await Promise.all(canaries.map((canary) => log.received(canary)));
    expect(answers.map((records) => records.length)).toEqual(canaries.map(() => 1));
  });

  it('ignores lines that are not the sink\'s JSON (a traceback), but a torn JSON line fails every later question', async () => {
    const path = await logFile();
    const log = new SinkRecordLog(path);
    await appendFile(path, 'Traceback (most recent call last):\n  File "sink.py", line 1\n' + recordLine('bm00000000000000d1', 'http'));
    expect(await log.received('bm00000000000000d1')).toHaveLength(1);
    // A lost record could make a delivered attempt read as blocked: the log is no longer trusted.
    await appendFile(path, '{"event": "canary", "canary": "bm00000000000000d2", "proto\n' + recordLine('bm00000000000000d3', 'http'));
    await expect(log.received('bm00000000000000d3')).rejects.toThrow('unreadable line in the sink log');
    await expect(log.received('bm00000000000000d1')).rejects.toThrow('unreadable line in the sink log');
  });

  it('refuses a record with a field it does not model the type of, and never follows a symlink', async () => {
    const path = await logFile();
    const log = new SinkRecordLog(path);
    await appendFile(path, '{"event": "canary", "canary": "bm00000000000000e1", "protocol": "sctp", "from": "x", "at": "y"}\n');
    await expect(log.received('bm00000000000000e1')).rejects.toThrow('unexpected sink record');
    const link = join(path, '..', 'link.log');
    await symlink(path, link);
    await expect(new SinkRecordLog(link).received('bm00000000000000e1')).rejects.toThrow(/ELOOP/);
  });
});
