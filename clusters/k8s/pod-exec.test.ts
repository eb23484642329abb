import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfrastructureError } from '../../core/domain/errors.ts';
import { execInPod } from './pod-exec.ts';
import { startRecordingApiServer, type RecordingApiServer } from './testing/recording-api-server.ts';
import { acceptWebSocket, sendChannel, sendClose } from './testing/websocket-server.ts';

const STDOUT = 1;
const STATUS = 3;
const DEADLINE_MS = 20_000;

/** The pod name picks what the stream does after the handshake. */
function script(pod: string, socket: Socket): void {
  sendChannel(socket, STDOUT, 'partial output\n');
  if (pod === 'exits-0') {
    sendChannel(socket, STATUS, JSON.stringify({ metadata: {}, status: 'Success' }));
    setTimeout(() => sendClose(socket, 1000, ''), 50);
  } else if (pod === 'streams') {
    // The rest of the output and the status come well after the first line.
    setTimeout(() => {
      sendChannel(socket, STDOUT, 'done\n');
      sendChannel(socket, STATUS, JSON.stringify({ metadata: {}, status: 'Success' }));
      setTimeout(() => sendClose(socket, 1000, ''), 50);
    }, 800);
  } else if (pod === 'closes-cleanly') {
    sendClose(socket, 1000, 'container gone');
  } else if (pod === 'connection-drops') {
    socket.destroy();
  }
}

let server: RecordingApiServer;

beforeAll(async () => {
  server = await startRecordingApiServer({
    kinds: [],
    upgrade: (request, socket) => {
      const pod = /\/pods\/([^/]+)\/exec/.exec(request.url ?? '')?.[1] ?? '';
      if (request.headers.authorization !== 'Bearer recording-server-token') {
        socket.destroy();
        return;
      }
      acceptWebSocket(request, socket);
      setTimeout(() => script(pod, socket), 20);
    },
  });
});

afterAll(async () => {
  await server[Symbol.asyncDispose]();
});

describe('execInPod over a websocket', () => {
  it('reads the exit status from the status channel', async () => {
    const result = await execInPod(server.kubeConfig, 'bm-app', 'exits-0', 'main', ['true'], { timeoutMs: DEADLINE_MS });
    expect(result).toMatchObject({ exitCode: 0, stdout: 'partial output\n', timedOut: false });
  });

  it('streams stdout to onStdout as frames arrive, before the exit status', async () => {
    const started = Date.now();
    const chunks: { at: number; text: string }[] = [];
    const onStdout = (chunk: Uint8Array): void => {
      chunks.push({ at: Date.now() - started, text: new TextDecoder().decode(chunk) });
    };
    const result = await execInPod(server.kubeConfig, 'bm-app', 'streams', 'main', ['sh'], { timeoutMs: DEADLINE_MS, onStdout });
    const finished = Date.now() - started;
    expect(chunks.map((chunk) => chunk.text)).toEqual(['partial output\n', 'done\n']);
    expect(chunks[0]?.at ?? Infinity).toBeLessThan(finished - 500);
    expect(result).toMatchObject({ exitCode: 0, stdout: 'partial output\ndone\n' });
  });

  it('a stream closed without a status frame is an infrastructure error at once, not a timeout', async () => {
    const started = Date.now();
    const attempt = execInPod(server.kubeConfig, 'bm-app', 'closes-cleanly', 'main', ['sleep', '60'], { timeoutMs: DEADLINE_MS });
    await expect(attempt).rejects.toBeInstanceOf(InfrastructureError);
    await expect(attempt).rejects.toThrow(
      /exec in pod bm-app\/closes-cleanly container main: the exec stream closed \(code 1000, container gone\) after \d+ ms without an exit status \(15 bytes of stdout, 0 of stderr so far\)/,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('a connection dropped without a close frame is reported the same way, with code 1006', async () => {
    const started = Date.now();
    const attempt = execInPod(server.kubeConfig, 'bm-app', 'connection-drops', 'main', ['sleep', '60'], { timeoutMs: DEADLINE_MS });
    await expect(attempt).rejects.toThrow(/closed \(code 1006\) after \d+ ms without an exit status/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
