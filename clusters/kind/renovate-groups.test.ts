import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PINS_FILE } from '../../core/config/pins.ts';

const PINS_PATH = 'clusters/pins.yaml';

interface PackageRule {
  readonly [key: string]: unknown;
  readonly matchFileNames?: readonly string[];
  readonly matchDepNames?: readonly string[];
  readonly groupName?: string;
  readonly separateMajorMinor?: boolean;
  readonly separateMinorPatch?: boolean;
}

interface RenovateConfig {
  readonly customManagers: readonly { readonly matchStrings: readonly string[] }[];
  readonly packageRules: readonly PackageRule[];
}

interface PinnedDependency {
  readonly depName: string;
  readonly currentValue: string;
  readonly currentDigest?: string;
}

async function renovateConfig(): Promise<RenovateConfig> {
  return JSON.parse(await readFile(fileURLToPath(new URL('../../renovate.json', import.meta.url)), 'utf8')) as RenovateConfig;
}

/** The dependencies Renovate's regex manager extracts from clusters/pins.yaml. */
function extractDependencies(config: RenovateConfig, pinsText: string): PinnedDependency[] {
  const pattern = config.customManagers[0]?.matchStrings[0];
  if (pattern === undefined) throw new Error('renovate.json has no regex manager');
  return [...pinsText.matchAll(new RegExp(pattern, 'g'))].map((match) => {
    const groups = match.groups ?? {};
    const { depName, currentValue, currentDigest } = groups;
    if (depName === undefined || currentValue === undefined) throw new Error(`regex match without depName/currentValue: ${match[0]}`);
    return currentDigest === undefined ? { depName, currentValue } : { depName, currentValue, currentDigest };
  });
}

/**
 * The settings packageRules give one dependency of clusters/pins.yaml: rules apply in order and a later rule
 * overrides an earlier one (https://docs.renovatebot.com/configuration-options/#packagerules). Only the matchers
 * this repository uses are modelled; a rule with another matcher fails the test instead of being misread.
 */
function settingsFor(config: RenovateConfig, depName: string): PackageRule {
  let settings: PackageRule = {};
  for (const rule of config.packageRules) {
    const unmodelled = Object.keys(rule).filter((key) => key.startsWith('match') && key !== 'matchFileNames' && key !== 'matchDepNames');
    if (unmodelled.length > 0) throw new Error(`packageRule uses matchers this test does not model: ${unmodelled.join(', ')}`);
    if (rule.matchFileNames !== undefined && !rule.matchFileNames.includes(PINS_PATH)) continue;
    if (rule.matchDepNames !== undefined && !rule.matchDepNames.includes(depName)) continue;
    settings = { ...settings, ...rule };
  }
  return settings;
}

describe('renovate groups for clusters/pins.yaml', () => {
  it('puts the kind release and every kindest/node pin in one group, and nothing else in it', async () => {
    const config = await renovateConfig();
    const dependencies = extractDependencies(config, await readFile(DEFAULT_PINS_FILE, 'utf8'));
    const kind = dependencies.filter((dependency) => dependency.depName === 'kubernetes-sigs/kind');
    const nodeImages = dependencies.filter((dependency) => dependency.depName === 'kindest/node');
    // The pinned set's kind version, the tool's version, the pinned kubernetes version and both node images.
    expect(kind.length).toBeGreaterThanOrEqual(2);
    expect(nodeImages.filter((dependency) => dependency.currentDigest !== undefined).length).toBeGreaterThanOrEqual(2);

    const kindGroup = settingsFor(config, 'kubernetes-sigs/kind').groupName;
    expect(kindGroup).toEqual(expect.stringMatching(/\S/));
    expect(settingsFor(config, 'kindest/node').groupName).toBe(kindGroup);

    const members = new Set(dependencies.filter((dependency) => settingsFor(config, dependency.depName).groupName === kindGroup).map((d) => d.depName));
    expect([...members].sort()).toEqual(['kindest/node', 'kubernetes-sigs/kind']);
  });

  it('keeps the group in one PR whatever the update type (major, minor, patch, digest)', async () => {
    const config = await renovateConfig();
    for (const depName of ['kubernetes-sigs/kind', 'kindest/node']) {
      const settings = settingsFor(config, depName);
      expect(settings.separateMajorMinor, depName).toBe(false);
      expect(settings.separateMinorPatch, depName).toBe(false);
    }
  });

  it('gives every kindest/node reference in the pins file a renovate comment, so the group moves all of them', async () => {
    const pinsText = await readFile(DEFAULT_PINS_FILE, 'utf8');
    const references = pinsText.split('\n').filter((line) => !line.trim().startsWith('#') && line.includes('kindest/node:')).length;
    const extracted = extractDependencies(await renovateConfig(), pinsText).filter(
      (dependency) => dependency.depName === 'kindest/node' && dependency.currentDigest !== undefined,
    ).length;
    expect(references).toBeGreaterThan(0);
    expect(extracted).toBe(references);
  });
});
