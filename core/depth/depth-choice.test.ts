import { describe, expect, it } from 'vitest';
import { runCommand } from '../cli/commands/run-command.ts';
import { BadInputError } from '../domain/errors.ts';
import { depthEnabled } from './depth-choice.ts';

describe('depthEnabled', () => {
  it('is on by default for the lab and off for kind and kubeconfig', () => {
    expect(depthEnabled('lab', undefined)).toBe(true);
    expect(depthEnabled('kind', undefined)).toBe(false);
    expect(depthEnabled('kubeconfig', undefined)).toBe(false);
  });

  it('follows --depth / --no-depth on the lab', () => {
    expect(depthEnabled('lab', false)).toBe(false);
    expect(depthEnabled('lab', true)).toBe(true);
    expect(depthEnabled('kind', false)).toBe(false);
  });

  it('refuses --depth on kube providers (exit 2) instead of half-measuring', () => {
    expect(() => depthEnabled('kind', true)).toThrow(BadInputError);
    expect(() => depthEnabled('kubeconfig', true)).toThrow(/--depth with --provider kubeconfig: depth by ablation is measured on the lab provider only/);
  });

  it('run parses --depth, --no-depth and neither (undefined: the provider decides)', () => {
    const parse = (args: string[]): boolean | undefined => {
      const command = runCommand().exitOverride().action(() => undefined);
      command.parse(['--provider', 'lab', ...args], { from: 'user' });
      return command.opts<{ depth?: boolean }>().depth;
    };
    expect(parse([])).toBeUndefined();
    expect(parse(['--depth'])).toBe(true);
    expect(parse(['--no-depth'])).toBe(false);
  });
});
