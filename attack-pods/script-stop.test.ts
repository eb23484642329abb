import { describe, expect, it } from 'vitest';
import { parseStopPid, stopCommand, stopCommandPid } from './script-stop.ts';

describe('script-stop: the PID a script announced, and the one exec that signals it', () => {
  it('accepts only a plain positive decimal PID', () => {
    expect(parseStopPid('4242')).toBe(4242);
    for (const bad of ['', '0', '042', '-1', '12 13', '1;kill 1', '$(id)', '99999999999']) expect(parseStopPid(bad)).toBeUndefined();
  });

  it('signals exactly that PID with the shell builtin, the PID passed as an argument, never in the script text', () => {
    expect(stopCommand(4242)).toEqual(['sh', '-c', 'kill -TERM "$1"', 'bm-stop', '4242']);
    expect(stopCommandPid(stopCommand(4242))).toBe(4242);
    expect(stopCommandPid(['sh', '-c', 'kill -TERM "$1"', 'bm-stop', '4242', 'extra'])).toBeUndefined();
    expect(stopCommandPid(['sh', '-c', 'echo hi'])).toBeUndefined();
  });
});
