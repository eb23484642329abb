import { BadInputError } from '../domain/errors.ts';
import { PROVIDERS, type ProviderName } from '../domain/profile.ts';

/**
 * Which provider each provider-specific flag of `run` and `plan` belongs to. A flag given with another provider is
 * refused (exit 2) rather than silently ignored: `--config` with the lab would otherwise run the built-in stacks
 * while the user believes their profiles file was used. The lab's stacks are built in, so `--config` and
 * `--pins` do not apply to it.
 */
export const PROVIDER_FLAGS = [
  { flag: '--config', key: 'config', providers: ['kind', 'kubeconfig'] },
  { flag: '--pins', key: 'pins', providers: ['kind', 'kubeconfig'] },
  { flag: '--reuse', key: 'reuse', providers: ['kind'] },
  { flag: '--registry-cache', key: 'registryCache', providers: ['kind'] },
  { flag: '--context', key: 'context', providers: ['kubeconfig'], requiredFor: ['kubeconfig'] },
  { flag: '--kubeconfig', key: 'kubeconfig', providers: ['kubeconfig'] },
  { flag: '--server', key: 'server', providers: ['kubeconfig'] },
  { flag: '--i-understand-this-attacks-the-cluster', key: 'iUnderstandThisAttacksTheCluster', providers: ['kubeconfig'] },
] as const satisfies readonly ProviderFlagRule[];

export interface ProviderFlagRule {
  readonly flag: string;
  /** The property commander gives the flag's value under. */
  readonly key: string;
  readonly providers: readonly ProviderName[];
  readonly requiredFor?: readonly ProviderName[];
}

/** A flag counts as given when it has a value other than its "not given" default (undefined, or false for a switch). */
function given(value: unknown): boolean {
  return value !== undefined && value !== false && value !== '';
}

/**
 * Refuse every provider-specific flag given with a provider it does not belong to, and a missing required one.
 * Names the flag, the provider(s) it belongs to and the selected provider. Runs before anything is created.
 */
export function checkProviderFlags(provider: ProviderName, flags: object, rules: readonly ProviderFlagRule[] = PROVIDER_FLAGS): void {
  const misplaced = rules.filter((rule) => given(Reflect.get(flags, rule.key)) && !rule.providers.includes(provider));
  if (misplaced.length > 0) {
    const allowed = rules.filter((rule) => rule.providers.includes(provider)).map((rule) => rule.flag);
    const builtIn = provider === 'lab' ? ' (its stacks are built in)' : '';
    throw new BadInputError(
      `${misplaced.map((rule) => `${rule.flag} belongs to --provider ${rule.providers.join(' or ')}`).join('; ')}, not to ${provider}${builtIn}`,
      `--provider ${provider}`,
      allowed.length === 0 ? 'no provider-specific flag' : allowed.join(', '),
    );
  }
  const missing = rules.filter((rule) => rule.requiredFor?.includes(provider) === true && !given(Reflect.get(flags, rule.key)));
  if (missing.length > 0) {
    throw new BadInputError(
      `${missing.map((rule) => rule.flag).join(', ')} ${missing.length === 1 ? 'is' : 'are'} required`,
      `--provider ${provider}`,
      missing.map((rule) => `${rule.flag} <value>`).join(' '),
    );
  }
}

/** For --help: which flags go with which provider, one line per provider. */
export function providerFlagsHelp(rules: readonly ProviderFlagRule[] = PROVIDER_FLAGS): string {
  const lines = PROVIDERS.map((provider) => {
    const flags = rules.filter((rule) => rule.providers.includes(provider)).map((rule) => `${rule.flag}${rule.requiredFor?.includes(provider) === true ? ' (required)' : ''}`);
    return `  ${provider.padEnd(10)} ${flags.length === 0 ? '(none: the stacks are built in)' : flags.join(', ')}`;
  });
  return `\nProvider-specific flags (any other provider refuses them, exit 2):\n${lines.join('\n')}`;
}
