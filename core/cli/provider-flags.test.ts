import { describe, expect, it } from 'vitest';
import { BadInputError } from '../domain/errors.ts';
import { PROVIDERS } from '../domain/profile.ts';
import { checkProviderFlags, PROVIDER_FLAGS, providerFlagsHelp } from './provider-flags.ts';

describe('provider-specific flags', () => {
  it('accepts each flag with its own provider and refuses it with every other, naming both', () => {
    for (const rule of PROVIDER_FLAGS) {
      const value = rule.key === 'registryCache' || rule.key === 'iUnderstandThisAttacksTheCluster' ? true : 'value';
      for (const provider of PROVIDERS) {
        // kubeconfig always needs its --context; give it so only the flag under test can be wrong.
        const flags = { ...(provider === 'kubeconfig' ? { context: 'ctx' } : {}), [rule.key]: value };
        if ((rule.providers as readonly string[]).includes(provider)) {
          expect(() => checkProviderFlags(provider, flags), `${rule.flag} with ${provider}`).not.toThrow();
        } else {
          expect(() => checkProviderFlags(provider, flags)).toThrow(BadInputError);
          expect(() => checkProviderFlags(provider, flags)).toThrow(`${rule.flag} belongs to --provider ${rule.providers.join(' or ')}, not to ${provider}`);
        }
      }
    }
  });

  it('treats unset values and false switches as not given', () => {
    expect(() => checkProviderFlags('lab', { config: undefined, registryCache: false, iUnderstandThisAttacksTheCluster: false, profile: [] })).not.toThrow();
  });

  it('names every misplaced flag at once, and a missing required one', () => {
    expect(() => checkProviderFlags('lab', { config: 'p.yaml', reuse: 'bm-x' })).toThrow(
      '--provider lab: --config belongs to --provider kind or kubeconfig; --reuse belongs to --provider kind, not to lab (its stacks are built in) (allowed: no provider-specific flag)',
    );
    expect(() => checkProviderFlags('kubeconfig', { iUnderstandThisAttacksTheCluster: true })).toThrow('--provider kubeconfig: --context is required (allowed: --context <value>)');
  });

  it('describes the table for --help, one line per provider', () => {
    expect(providerFlagsHelp().split('\n').filter((line) => /^ {2}\w/.test(line))).toEqual([
      '  kind       --config, --pins, --reuse, --registry-cache',
      '  lab        (none: the stacks are built in)',
      '  kubeconfig --config, --pins, --context (required), --kubeconfig, --server, --i-understand-this-attacks-the-cluster',
    ]);
  });
});
