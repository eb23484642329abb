import { describe, expect, it } from 'vitest';
import { CAPTURE_STOP_PORT, newStopToken, stopCommand, stopCommandToken, stopMarker } from './script-stop.ts';

describe('script-stop: the marker datagram that ends a capture', () => {
  it('tokens are 16 fresh hex digits; the marker never reads as a canary', () => {
    const token = newStopToken();
    expect(token).toMatch(/^[0-9a-f]{16}$/);
    expect(newStopToken()).not.toBe(token);
    expect(stopMarker(token)).toBe(`BM-STOP-${token}`);
    expect(stopMarker(token)).not.toContain(`bm${token}`);
  });

  it('sends the marker to 127.0.0.1:CAPTURE_STOP_PORT with the values as arguments, never in the script text', () => {
    expect(stopCommand('0123456789abcdef')).toEqual(['sh', '-c', 'printf "%s\\n" "$1" | socat -u - "UDP-SENDTO:127.0.0.1:$2"', 'bm-stop', 'BM-STOP-0123456789abcdef', String(CAPTURE_STOP_PORT)]);
    expect(stopCommandToken(stopCommand('0123456789abcdef'))).toBe('0123456789abcdef');
    expect(stopCommandToken([...stopCommand('0123456789abcdef'), 'extra'])).toBeUndefined();
    expect(stopCommandToken(['sh', '-c', 'echo hi'])).toBeUndefined();
    for (const bad of ['', '0123', '0123456789ABCDEF', '0123456789abcdef; id']) expect(() => stopCommand(bad)).toThrow('not a capture stop token');
  });
});
