import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttemptContext } from '../../core/domain/attack.ts';
import { labProfiles } from '../../core/config/profiles-config.ts';
import { stackTraits } from '../../core/domain/profile.ts';
import { startSink, type SinkProcess } from '../sink/sink-process.ts';
import { composeScript } from '../script-loader.ts';
import { parseScriptResult } from '../script-result.ts';
import { findAttacks } from './index.ts';

/**
 * End to end without a cluster: the catalogue's own attempt plans (env as built for a stack) run their real
 * scripts against the real sink on 127.0.0.1, and the sink must record each attempt's canary.
 */
const run = promisify(execFile);
let sink: SinkProcess;

beforeAll(async () => {
  sink = await startSink({ bind: '127.0.0.1', httpPort: 0, tcpPort: 0, udpPort: 0, dnsPort: 0, queryPort: 0, metadataPort: 0, metadataBind: '127.0.0.1' });
});
afterAll(() => sink.stop());

function context(canary: string): AttemptContext {
  const { ports } = sink.ready;
  const labNone = labProfiles().find((profile) => profile.id === 'lab:none');
  if (labNone === undefined) throw new Error('lab:none missing');
  return {
    stack: stackTraits(labNone),
    canary,
    addresses: {
      sink: { ip: '127.0.0.1', httpPort: ports.http, tcpPort: ports.tcp, udpPort: ports.udp, dnsPort: ports.dns, dnsZone: sink.ready.zone },
      metadata: { ip: '127.0.0.1', port: ports.metadata ?? 0 },
      nodes: [],
      apiServer: { host: '127.0.0.1', port: 1 },
      workloads: {},
    },
  };
}

describe('catalogue plans deliver their canary to the real sink', () => {
  it.each([
    ['SC1', 'http'],
    ['SC5', 'udp'],
    ['EG1', 'tcp'],
    // A socket marked 0x3 (socat, mark set before connect) still delivers: the mark only matters to capture rules.
    ['AM4-mark', 'tcp'],
    ['EG2', 'dns'],
    ['EG3', 'dns'],
    ['EG4', 'icmp'],
    ['EG5', 'http'],
    ['EG7', 'http'],
  ] as const)('%s → %s record', async (id, protocol) => {
    const canary = `bm${randomBytes(8).toString('hex')}`;
    const [attack] = findAttacks([id]);
    if (attack === undefined) throw new Error(id);
    const planned = attack.attempt(context(canary));
    // EG2 goes through "cluster DNS": here the sink answers directly.
    const resolver = id === 'EG2' ? { DNS_SERVER: '127.0.0.1', DNS_SERVER_PORT: String(sink.ready.ports.dns) } : {};
    const { stdout, stderr } = await run('sh', ['-c', composeScript(planned.script)], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...planned.env, ...resolver },
      timeout: 20_000,
    });
    const result = parseScriptResult(stdout, stderr, 0);
    expect(['delivered', 'connected', 'http-ok'], result.detail).toContain(result.signal);
    const records = await sink.client.waitFor(canary, 3_000);
    expect(records.map((record) => record.protocol)).toContain(protocol);
  });
});
