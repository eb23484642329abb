import { isIP } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { SinkRecord } from '../../core/domain/cluster.ts';
import { BadInputError, InfrastructureError } from '../../core/domain/errors.ts';
import { SCENE } from '../../manifests/scene.ts';
import { assertCanary } from './canary.ts';
import { SINK_TIMEOUTS } from './timeouts.ts';

const recordSchema = z.object({
  canary: z.string(),
  protocol: z.enum(['http', 'tcp', 'udp', 'icmp', 'dns']),
  from: z.string(),
  at: z.string(),
});
const canaryAnswerSchema = z.object({ canary: z.string(), records: z.array(recordSchema) });
const resetAnswerSchema = z.object({ cleared: z.number().int().nonnegative() });

/** A query API answer of the wrong shape is the sink's fault (exit 3), never the user's. */
function decode<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new InfrastructureError('sink', `${what} answered an unexpected shape: ${result.error.message}`);
  return result.data;
}

/** The query API's base URL for a sink at `ip` (e.g. the lab's internet namespace, reached from the root one). */
export function sinkQueryUrl(ip: string, port: number = SCENE.sink.queryPort): string {
  const family = isIP(ip);
  if (family === 0) throw new BadInputError(`${JSON.stringify(ip)} is not an IP address`, 'sinkQueryUrl ip');
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new BadInputError(`port ${port} is out of range`, 'sinkQueryUrl port', '1-65535');
  }
  return `http://${family === 6 ? `[${ip}]` : ip}:${port}`;
}

/** Reads what the exfiltration sink received, over its query API (JSON over HTTP). */
export class SinkClient {
  readonly baseUrl: string;

  constructor(baseUrl: string) {
    let parsed: URL;
    try {
      parsed = new URL(baseUrl);
    } catch {
      throw new BadInputError(`${JSON.stringify(baseUrl)} is not a URL`, 'SinkClient baseUrl', 'http://host:port');
    }
    if (parsed.protocol !== 'http:') {
      throw new BadInputError(`${parsed.protocol} is not supported`, 'SinkClient baseUrl', 'http://host:port');
    }
    this.baseUrl = parsed.origin;
  }

  /** Every record of this canary so far (empty when nothing arrived). */
  async received(canary: string): Promise<SinkRecord[]> {
    assertCanary(canary, 'SinkClient.received');
    return decode(canaryAnswerSchema, await this.request('GET', `/canaries/${canary}`), 'GET /canaries').records;
  }

  /** Polls until the canary has arrived or `timeoutMs` passed; an empty list means it never arrived. */
  async waitFor(canary: string, timeoutMs: number): Promise<SinkRecord[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const records = await this.received(canary);
      if (records.length > 0 || Date.now() >= deadline) return records;
      await sleep(Math.min(SINK_TIMEOUTS.pollIntervalMs, Math.max(0, deadline - Date.now())));
    }
  }

  /** True when the query API answers its health check; never throws. */
  async healthy(): Promise<boolean> {
    try {
      const answer = await this.request('GET', '/healthz');
      return z.object({ status: z.literal('ok') }).safeParse(answer).success;
    } catch {
      return false;
    }
  }

  /** Forgets every record; returns how many were cleared. */
  async reset(): Promise<number> {
    return decode(resetAnswerSchema, await this.request('POST', '/reset'), 'POST /reset').cleared;
  }

  private async request(method: 'GET' | 'POST', path: string): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        signal: AbortSignal.timeout(SINK_TIMEOUTS.queryMs),
      });
    } catch (error) {
      throw new InfrastructureError('sink', `${method} ${this.baseUrl}${path} failed`, { cause: error });
    }
    const text = await response.text();
    if (!response.ok) {
      throw new InfrastructureError('sink', `${method} ${path} answered ${response.status}: ${text.slice(0, 200)}`);
    }
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new InfrastructureError('sink', `${method} ${path} answered non-JSON`, { cause: error });
    }
  }
}
