import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { execa } from 'execa';

/**
 * A stand-in Kubernetes API server for tests: HTTPS on loopback with a throw-away self-signed certificate that the
 * kubeconfig trusts (so requests go through client-node's real TLS and bearer-token path), API discovery for the
 * kinds it is told about, and every server-side apply recorded with its body exactly as it arrived.
 */
export interface DiscoveredKind {
  readonly apiVersion: string;
  readonly kind: string;
  readonly resource: string;
  readonly namespaced: boolean;
}

export interface RecordedApply {
  readonly path: string;
  readonly contentType: string;
  readonly fieldManager: string | null;
  readonly force: string | null;
  /** The request body, byte for byte. */
  readonly body: string;
}

/** Handles a request the server does not answer itself; returns false to get a 404. */
export type ExtraRoute = (request: IncomingMessage, url: URL, response: ServerResponse) => boolean;
/** Handles an HTTP upgrade (exec websockets). */
export type UpgradeRoute = (request: IncomingMessage, socket: Socket) => void;

export interface RecordingApiServer extends AsyncDisposable {
  readonly kubeConfig: KubeConfig;
  readonly applies: RecordedApply[];
  /** Every request as `METHOD path?query`, in arrival order. */
  readonly requests: string[];
}

export const TEST_TOKEN = 'recording-server-token';

async function selfSignedCertificate(dir: string): Promise<{ key: string; cert: string }> {
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  await execa('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
  ]);
  return { key: await readFile(key, 'utf8'), cert: await readFile(cert, 'utf8') };
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

export async function startRecordingApiServer(options: {
  readonly kinds: readonly DiscoveredKind[];
  readonly route?: ExtraRoute;
  readonly upgrade?: UpgradeRoute;
  /** What a server-side apply answers (a simulated server stores the object); default: the body as sent. */
  readonly onApply?: (path: string, body: string, fieldManager: string | null) => unknown;
}): Promise<RecordingApiServer> {
  const dir = await mkdtemp(join(tmpdir(), 'bm-apiserver-'));
  const { key, cert } = await selfSignedCertificate(dir);
  const applies: RecordedApply[] = [];
  const requests: string[] = [];
  const discovery = new Map<string, DiscoveredKind[]>();
  for (const kind of options.kinds) {
    const path = kind.apiVersion.includes('/') ? `/apis/${kind.apiVersion}` : `/api/${kind.apiVersion}`;
    discovery.set(path, [...(discovery.get(path) ?? []), kind]);
  }
  const server: Server = createServer({ key, cert }, (request, response) => {
    const url = new URL(request.url ?? '/', 'https://127.0.0.1');
    requests.push(`${request.method ?? ''} ${url.pathname}${url.search}`);
    if (request.headers.authorization !== `Bearer ${TEST_TOKEN}`) {
      sendJson(response, 401, { kind: 'Status', status: 'Failure', code: 401, message: 'no bearer token' });
      return;
    }
    const kinds = discovery.get(url.pathname);
    if (request.method === 'GET' && kinds !== undefined) {
      sendJson(response, 200, {
        kind: 'APIResourceList',
        groupVersion: url.pathname.replace(/^\/apis?\//, ''),
        resources: kinds.map((kind) => ({ name: kind.resource, namespaced: kind.namespaced, kind: kind.kind, singularName: '', verbs: [] })),
      });
      return;
    }
    if (request.method === 'PATCH') {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        applies.push({
          path: url.pathname,
          contentType: request.headers['content-type'] ?? '',
          fieldManager: url.searchParams.get('fieldManager'),
          force: url.searchParams.get('force'),
          body,
        });
        if (options.onApply === undefined) response.writeHead(200, { 'content-type': 'application/json' }).end(body);
        else sendJson(response, 200, options.onApply(url.pathname, body, url.searchParams.get('fieldManager')));
      });
      return;
    }
    if (options.route?.(request, url, response) === true) return;
    sendJson(response, 404, { kind: 'Status', status: 'Failure', code: 404, message: `no route ${request.method ?? ''} ${url.pathname}` });
  });
  // Upgraded sockets are no longer the server's connections: closeAllConnections does not see them.
  const upgraded = new Set<Socket>();
  if (options.upgrade !== undefined) {
    const upgrade = options.upgrade;
    server.on('upgrade', (request: IncomingMessage, socket: Socket) => {
      requests.push(`UPGRADE ${request.url ?? ''}`);
      upgraded.add(socket);
      socket.once('close', () => upgraded.delete(socket));
      upgrade(request, socket);
    });
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'recording', server: `https://127.0.0.1:${port}`, caData: Buffer.from(cert).toString('base64'), skipTLSVerify: false }],
    users: [{ name: 'recording', token: TEST_TOKEN }],
    contexts: [{ name: 'recording', cluster: 'recording', user: 'recording', namespace: 'default' }],
    currentContext: 'recording',
  });
  return {
    kubeConfig,
    applies,
    requests,
    async [Symbol.asyncDispose](): Promise<void> {
      server.closeAllConnections();
      for (const socket of upgraded) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
