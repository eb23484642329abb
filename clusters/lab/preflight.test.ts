import { describe, expect, it } from 'vitest';
import { BadInputError } from '../../core/domain/errors.ts';
import { checkLabHost } from './preflight.ts';

const everything = { platform: 'linux' as const, uid: 0, path: '/usr/bin', hasTool: () => true };

describe('checkLabHost', () => {
  it('accepts Linux as root with every tool', () => {
    expect(() => checkLabHost(everything)).not.toThrow();
  });

  it('names each missing tool and the apt-get line', () => {
    const facts = { ...everything, hasTool: (tool: string) => !['haproxy', 'dig', 'nft'].includes(tool) };
    expect(() => checkLabHost(facts)).toThrow(BadInputError);
    expect(() => checkLabHost(facts)).toThrow('missing tools: nft, haproxy, dig; install them with: apt-get install -y dnsutils haproxy nftables');
  });

  it('refuses a non-root user and a non-Linux host', () => {
    expect(() => checkLabHost({ ...everything, uid: 1000 })).toThrow(/must run as root/);
    expect(() => checkLabHost({ ...everything, platform: 'darwin' })).toThrow(/needs Linux/);
  });
});
