import { InvalidArgumentError, Option } from 'commander';
import { BadInputError } from '../domain/errors.ts';
import { POLICY_STRENGTHS, PROVIDERS, type PolicyStrength, type ProviderName } from '../domain/profile.ts';

export function positiveInt(flag: string, max: number): (value: string) => number {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < 1 || parsed > max) {
      throw new InvalidArgumentError(`${flag} must be a whole number from 1 to ${max}, got "${value}".`);
    }
    return parsed;
  };
}

export function providerName(value: string): ProviderName {
  if (!(PROVIDERS as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`unknown provider "${value}" (allowed: ${PROVIDERS.join(', ')}).`);
  }
  return value as ProviderName;
}

export function policyStrength(value: string): PolicyStrength {
  if (!(POLICY_STRENGTHS as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`unknown policy set "${value}" (allowed: ${POLICY_STRENGTHS.join(', ')}).`);
  }
  return value as PolicyStrength;
}

/** Repeatable and comma-separated: `--profile a --profile b,c` → [a, b, c]. */
export function collectList(value: string, previous: readonly string[] = []): string[] {
  return [...previous, ...value.split(',').map((item) => item.trim()).filter((item) => item.length > 0)];
}

/** A repeatable list flag whose help shows what an empty list means, once (not "(default: all) (default: [])"). */
export function listOption(flags: string, description: string, whenEmpty: string): Option {
  return new Option(flags, description).argParser(collectList).default([], whenEmpty);
}

/**
 * A repeatable `--fail-on` list: `none` means "never fail" and cannot be combined with a value that fails, so
 * `--fail-on none --fail-on any` is refused rather than silently read one way. Returns the values without `none`.
 */
export function failOnValues<T extends string>(values: readonly (T | 'none')[], allowed: readonly T[]): T[] {
  const kept = values.filter((value): value is T => value !== 'none');
  if (values.includes('none') && kept.length > 0) {
    throw new BadInputError(`"none" cannot be combined with ${kept.map((value) => `"${value}"`).join(', ')}`, '--fail-on', `"none" alone, or any of ${allowed.join(', ')}`);
  }
  return kept;
}
