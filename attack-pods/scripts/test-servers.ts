import { createSocket, type Socket as DgramSocket } from 'node:dgram';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from 'node:net';

/** Loopback servers the script tests talk to. Test support only; nothing here runs in a cluster. */

export interface Listening<T> {
  readonly server: T;
  readonly port: number;
  close(): Promise<void>;
}

function portOf(server: HttpServer | TcpServer): number {
  return (server.address() as AddressInfo).port;
}

function closeServer(server: HttpServer | TcpServer): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * An HTTP server answering like the scene's parties: `/rbac` Envoy's 403, `/cilium` Cilium's 403, `/blackhole`
 * Envoy's 502, `/upstream` Envoy's 503, `/k8s/*` the API server's RBAC 403, `/k8s-create/*` its 201 to a JSON POST,
 * `/k8s-vap/*` a ValidatingAdmissionPolicy's 422, `/unauthorized` its 401, `/admin` (exact path) Envoy's 403,
 * everything else 200 echoing the raw target. Raw request targets are recorded in `targets`, JSON bodies in `bodies`.
 */
export async function startHttpServer(): Promise<Listening<HttpServer> & { readonly targets: string[]; readonly bodies: string[] }> {
  const targets: string[] = [];
  const bodies: string[] = [];
  const server = createHttpServer((request, response) => {
    const target = request.url ?? '';
    targets.push(`${request.method ?? ''} ${target} canary=${String(request.headers['x-breachmatrix-canary'] ?? '')}`);
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    // Answer once the request is read whole, so `bodies` holds it before the client sees the answer.
    request.on('end', () => {
      if (request.headers['content-type'] === 'application/json') bodies.push(body);
      // Routes match on the path alone, like path-based authorization: no query, no fragment.
      const path = target.split(/[?#]/)[0] ?? '';
      const answer = (code: number, text: string): void => {
        response.writeHead(code, { 'content-type': 'text/plain' });
        response.end(text);
      };
      if (path === '/rbac' || path === '/admin') answer(403, 'RBAC: access denied');
      else if (path === '/cilium') answer(403, 'Access denied\r\n');
      else if (path === '/blackhole') answer(502, '');
      else if (path === '/upstream') answer(503, 'upstream connect error or disconnect/reset before headers. reset reason: connection termination');
      else if (path.startsWith('/k8s-create/') && request.method === 'POST') answer(201, '{"kind":"Service","apiVersion":"v1"}');
      else if (path.startsWith('/k8s-vap/')) {
        answer(422, `{"kind":"Status","status":"Failure","message":"services \\"x\\" is forbidden: ValidatingAdmissionPolicy 'deny-external-ips' with binding 'deny-external-ips' denied request","reason":"Invalid","code":422}`);
      } else if (path.startsWith('/k8s/')) answer(403, '{"kind":"Status","status":"Failure","reason":"Forbidden","code":403}');
      else if (path === '/unauthorized') answer(401, '{"kind":"Status","status":"Failure","reason":"Unauthorized","code":401}');
      else if (path === '/missing') answer(404, 'not found');
      else answer(200, `workload=test path=${target}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: portOf(server), targets, bodies, close: () => closeServer(server) };
}

/** A TCP server that answers `ok` to the first line (like the sink), recording what arrived. */
export async function startLineServer(): Promise<Listening<TcpServer> & { readonly received: string[] }> {
  const received: string[] = [];
  const server = createTcpServer((socket) => {
    socket.once('data', (data) => {
      received.push(data.toString('utf8').trim());
      socket.end('ok\n');
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: portOf(server), received, close: () => closeServer(server) };
}

/** A TCP server that accepts and says nothing, then resets once the client has sent something. */
export async function startResettingServer(): Promise<Listening<TcpServer>> {
  const server = createTcpServer((socket) => {
    socket.on('error', () => undefined);
    socket.once('data', () => socket.resetAndDestroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: portOf(server), close: () => closeServer(server) };
}

/** A port that was free a moment ago and has nothing listening: connects are refused. */
export async function closedPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = portOf(server);
  await closeServer(server);
  return port;
}

/** A UDP listener recording datagrams. */
export async function startUdpServer(): Promise<{ readonly port: number; readonly received: string[]; close(): Promise<void> }> {
  const received: string[] = [];
  const socket: DgramSocket = createSocket('udp4');
  socket.on('message', (message) => received.push(message.toString('utf8').trim()));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    port: socket.address().port,
    received,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

function readName(message: Buffer, offset: number): { name: string; end: number } {
  const labels: string[] = [];
  let at = offset;
  for (;;) {
    const length = message[at] ?? 0;
    if (length === 0) return { name: labels.join('.'), end: at + 1 };
    labels.push(message.subarray(at + 1, at + 1 + length).toString('ascii'));
    at += 1 + length;
  }
}

/**
 * A minimal DNS server (UDP and TCP on the same port number): names starting with `nx` → NXDOMAIN,
 * `refused` → REFUSED, `nodata` → NOERROR without answers, anything else → NOERROR with one TXT `ok` answer.
 * Query names are recorded.
 */
export async function startDnsServer(): Promise<{ readonly port: number; readonly queries: string[]; close(): Promise<void> }> {
  const queries: string[] = [];
  const answer = (query: Buffer): Buffer => {
    const { name, end } = readName(query, 12);
    queries.push(name);
    const question = query.subarray(12, end + 4);
    const rcode = name.startsWith('nx') ? 3 : name.startsWith('refused') ? 5 : 0;
    const withAnswer = rcode === 0 && !name.startsWith('nodata');
    const header = Buffer.alloc(12);
    header.writeUInt16BE(query.readUInt16BE(0), 0);
    header.writeUInt16BE(0x8400 | rcode, 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(withAnswer ? 1 : 0, 6);
    // TXT "ok", pointer to the question name, class IN, ttl 1.
    const record = Buffer.from([0xc0, 0x0c, 0x00, 0x10, 0x00, 0x01, 0, 0, 0, 1, 0x00, 0x03, 0x02, 0x6f, 0x6b]);
    return Buffer.concat(withAnswer ? [header, question, record] : [header, question]);
  };
  const udp = createSocket('udp4');
  udp.on('message', (message, remote) => udp.send(answer(message), remote.port, remote.address));
  await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
  const port = udp.address().port;
  const tcp = createTcpServer((socket) => {
    socket.on('error', () => undefined);
    socket.once('data', (data) => {
      const reply = answer(data.subarray(2));
      const length = Buffer.alloc(2);
      length.writeUInt16BE(reply.length, 0);
      socket.end(Buffer.concat([length, reply]));
    });
  });
  await new Promise<void>((resolve) => tcp.listen(port, '127.0.0.1', resolve));
  return {
    port,
    queries,
    close: async () => {
      await new Promise<void>((resolve) => udp.close(() => resolve()));
      await closeServer(tcp);
    },
  };
}
