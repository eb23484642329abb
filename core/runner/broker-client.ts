import { request } from 'node:http';
import type { Cell } from '../domain/cell.ts';
import type { ExecuteRequest } from './attack-broker.ts';

/** The worker side of the broker: ask the runner process to execute one attack and get its cell. */
export function requestCell(socketPath: string, body: ExecuteRequest): Promise<Cell> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const call = request(
      { socketPath, path: '/execute', method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          try {
            const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { cell?: Cell; error?: string };
            if (parsed.cell !== undefined) resolve(parsed.cell);
            else reject(new Error(parsed.error ?? `broker answered ${response.statusCode}`));
          } catch (error) {
            reject(error as Error);
          }
        });
      },
    );
    call.on('error', reject);
    call.end(payload);
  });
}
