import { randomBytes } from 'node:crypto';

/**
 * How the harness ends a packet capture once it has what it needs, without losing a packet tcpdump has not printed yet.
 * A kill from outside would: on a loaded machine tcpdump runs seconds behind the kernel, and SIGTERM makes it stop at
 * once, dropping what is still queued in its ring (seen on the lab at load 20: victim flows cut after the handshake).
 * Instead the runner starts the capture with a per-attempt token (CAPTURE_STOP_TOKEN) and, to end it, sends one UDP
 * datagram `BM-STOP-<token>` to 127.0.0.1:CAPTURE_STOP_PORT from the SAME pod (hence the same network namespace).
 * packet-capture.sh captures that datagram on `lo` in the same ring as everything else, so by the time tcpdump prints
 * it, every packet captured before the request has been printed; only then does the script end tcpdump itself. The
 * token is random per attempt: sniffers sharing a node's network namespace see each other's datagrams and ignore them.
 */
export const CAPTURE_STOP_PORT = 9;

/** The marker's payload for `token`: never contains a canary (`bm…`), so it can never read as one. */
export function stopMarker(token: string): string {
  return `BM-STOP-${token}`;
}

/** A fresh token: 16 hex digits. */
export function newStopToken(): string {
  return randomBytes(8).toString('hex');
}

function isToken(token: string): boolean {
  return /^[0-9a-f]{16}$/.test(token);
}

/** The exec that sends the marker for `token` to the capture in its pod (socat: the scripts' own datagram sender). */
export function stopCommand(token: string): string[] {
  if (!isToken(token)) throw new Error(`not a capture stop token: ${JSON.stringify(token)}`);
  return ['sh', '-c', 'printf "%s\\n" "$1" | socat -u - "UDP-SENDTO:127.0.0.1:$2"', 'bm-stop', stopMarker(token), String(CAPTURE_STOP_PORT)];
}

/** The token a command built by stopCommand carries; undefined for any other command (test clusters recognise it). */
export function stopCommandToken(command: readonly string[]): string | undefined {
  const [sh, flag, script, name, marker, port, ...rest] = command;
  const expected = stopCommand('0000000000000000');
  if (sh !== expected[0] || flag !== expected[1] || script !== expected[2] || name !== expected[3] || port !== expected[5] || rest.length > 0) return undefined;
  const token = marker?.startsWith('BM-STOP-') === true ? marker.slice('BM-STOP-'.length) : undefined;
  return token !== undefined && isToken(token) ? token : undefined;
}
