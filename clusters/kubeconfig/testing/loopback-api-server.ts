import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

/** A stand-in API server on loopback and a kubeconfig whose context `lab-cluster` names it, for the guard's tests. */
export interface LoopbackApiServer {
  /** The temp folder holding the kubeconfig (removed by close). */
  readonly dir: string;
  readonly url: string;
  readonly kubeconfigPath: string;
  /** `METHOD url` of every request received, in order; tests empty it to count from a point. */
  readonly requests: string[];
  close(): Promise<void>;
}

export async function startLoopbackApiServer(
  dirPrefix: string,
  answer: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<LoopbackApiServer> {
  const dir = await mkdtemp(join(tmpdir(), dirPrefix));
  const requests: string[] = [];
  const server = createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`);
    answer(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const kubeconfigPath = join(dir, 'kubeconfig');
  await writeFile(
    kubeconfigPath,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      // Plain HTTP on loopback: client-node only allows it with TLS verification off.
      clusters: [{ name: 'local', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'tester', user: { token: 'not-a-secret' } }],
      contexts: [{ name: 'lab-cluster', context: { cluster: 'local', user: 'tester' } }],
      'current-context': 'lab-cluster',
    }),
  );
  return {
    dir,
    url,
    kubeconfigPath,
    requests,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
