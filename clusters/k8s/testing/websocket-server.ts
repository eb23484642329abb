import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Just enough of a WebSocket server (RFC 6455) to script an exec stream: the handshake, unmasked server frames
 * and a close frame. Hand-written so the test depends on nothing but Node; client-node's side is the real `ws`.
 */
const ACCEPT_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const OPCODE_BINARY = 0x2;
const OPCODE_CLOSE = 0x8;

export function acceptWebSocket(request: IncomingMessage, socket: Socket): void {
  const key = request.headers['sec-websocket-key'] ?? '';
  const accept = createHash('sha1').update(`${key}${ACCEPT_GUID}`).digest('base64');
  const offered = String(request.headers['sec-websocket-protocol'] ?? '').split(',').map((protocol) => protocol.trim());
  socket.write(
    ['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${accept}`, `Sec-WebSocket-Protocol: ${offered[0] ?? ''}`, '', ''].join('\r\n'),
  );
}

function frame(opcode: number, payload: Buffer): Buffer {
  if (payload.length > 0xffff) throw new Error('test frames stay under 64 KiB');
  const header = payload.length < 126 ? Buffer.from([0x80 | opcode, payload.length]) : Buffer.from([0x80 | opcode, 126, payload.length >> 8, payload.length & 0xff]);
  return Buffer.concat([header, payload]);
}

/** One Kubernetes exec channel message: the channel byte, then the data (1 stdout, 2 stderr, 3 status). */
export function sendChannel(socket: Socket, channel: number, data: string): void {
  socket.write(frame(OPCODE_BINARY, Buffer.concat([Buffer.from([channel]), Buffer.from(data, 'utf8')])));
}

export function sendClose(socket: Socket, code: number, reason: string): void {
  const payload = Buffer.alloc(2 + Buffer.byteLength(reason));
  payload.writeUInt16BE(code, 0);
  payload.write(reason, 2);
  socket.end(frame(OPCODE_CLOSE, payload));
}
