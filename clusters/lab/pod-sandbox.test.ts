import { describe, expect, it } from 'vitest';
import { netSysctlPath, sandboxInitCommand } from './pod-sandbox.ts';

describe('sandbox PID 1 command', () => {
  it('passes values as arguments, never as script text, past the ninth ($10 is not $1 then 0)', () => {
    const binds = Array.from({ length: 5 }, (_, i) => ({ source: `/s${i} "$(x)"`, target: `/t${i}` }));
    const command = sandboxInitCommand({ binds });
    expect(command.slice(0, 2)).toEqual(['sh', '-c']);
    expect(command[2]).not.toContain('$(x)');
    expect(command[2]).toContain('"${10}"');
    expect(command.slice(4)).toEqual(binds.flatMap((bind) => [bind.source, bind.target]));
    expect(sandboxInitCommand({})).toEqual(['sleep', 'infinity']);
  });

  it('maps net. keys to /proc/sys and refuses every other key (it would be the host\'s)', () => {
    expect(netSysctlPath('net.ipv6.conf.all.disable_ipv6')).toBe('/proc/sys/net/ipv6/conf/all/disable_ipv6');
    for (const key of ['kernel.panic', 'vm.swappiness', 'net..x', 'net', 'net.ipv4/../../kernel', 'net.a b']) {
      expect(() => sandboxInitCommand({ sysctls: { [key]: '1' } })).toThrow(/not a network sysctl/);
    }
  });
});
