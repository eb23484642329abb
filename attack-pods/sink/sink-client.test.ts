import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BadInputError, InfrastructureError } from '../../core/domain/errors.ts';
import { newCanary } from './canary.ts';
import { freePort } from './free-port.ts';
import { SinkClient, sinkQueryUrl } from './sink-client.ts';

describe('sinkQueryUrl', () => {
  it('builds the query API URL from an IP and port (default SCENE.sink.queryPort)', () => {
    expect(sinkQueryUrl('10.250.0.2')).toBe('http://10.250.0.2:8081');
    expect(sinkQueryUrl('10.250.0.2', 18081)).toBe('http://10.250.0.2:18081');
    expect(sinkQueryUrl('fd00::2', 8081)).toBe('http://[fd00::2]:8081');
  });

  it('refuses a name or a bad port', () => {
    expect(() => sinkQueryUrl('sink.local')).toThrow(BadInputError);
    expect(() => sinkQueryUrl('10.0.0.1', 0)).toThrow(BadInputError);
    expect(() => sinkQueryUrl('10.0.0.1', 70_000)).toThrow(BadInputError);
  });
});

describe('SinkClient against something that is not a healthy sink', () => {
  let server: Server;
  let url: string;

  beforeAll(async () => {
    // An HTTP server that answers every query with the wrong shape.
    server = createServer((_request, response) => {
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify({ records: 'nope' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('refuses a base URL that is not http', () => {
    expect(() => new SinkClient('not a url')).toThrow(BadInputError);
    expect(() => new SinkClient('https://10.0.0.1:8081')).toThrow(BadInputError);
  });

  it('reports a wrong-shaped answer as an infrastructure error and is not healthy', async () => {
    const client = new SinkClient(url);
    await expect(client.received(newCanary())).rejects.toBeInstanceOf(InfrastructureError);
    expect(await client.healthy()).toBe(false);
  });

  it('reports a sink that is not there as an infrastructure error and unhealthy', async () => {
    const client = new SinkClient(`http://127.0.0.1:${await freePort('127.0.0.1')}`);
    expect(await client.healthy()).toBe(false);
    await expect(client.received(newCanary())).rejects.toThrow(/^sink: GET http:\/\/127\.0\.0\.1:\d+\/canaries\/bm[0-9a-f]{16} failed$/);
    await expect(client.reset()).rejects.toBeInstanceOf(InfrastructureError);
  });
});
