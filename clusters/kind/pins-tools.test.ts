import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_PINS_FILE } from '../../core/config/pins.ts';
import { BadInputError } from '../../core/domain/errors.ts';
import { buildKindPins, currentPlatform, imageTag, loadKindPins, versionSetNameFor } from './pins-tools.ts';

async function pinsDocument(): Promise<Record<string, unknown>> {
  return parse(await readFile(DEFAULT_PINS_FILE, 'utf8')) as Record<string, unknown>;
}

describe('kind pins', () => {
  it('loads the committed pins file with a node image per version set and both tools for linux-amd64', async () => {
    const pins = await loadKindPins();
    expect(Object.keys(pins.nodeImages).sort()).toEqual(Object.keys(pins.versionSets).sort());
    expect(pins.nodeImages['pinned']).toBe(
      'kindest/node:v1.36.1@sha256:3489c7674813ba5d8b1a9977baea8a6e553784dab7b84759d1014dbd78f7ebd5',
    );
    expect(pins.tools.kind.platforms['linux-amd64']?.sha256).toMatch(/^[a-f0-9]{64}$/);
    expect(pins.tools.helm.platforms['linux-amd64']?.member).toBe('linux-amd64/helm');
    expect(pins.tools.kind.version).toBe(pins.versionSets['pinned']?.kind);
  });

  it('rejects a checksum that is not a SHA-256, naming the field', async () => {
    const document = await pinsDocument();
    const tools = structuredClone(document['tools']) as { kind: { platforms: Record<string, { sha256: string }> } };
    const platform = tools.kind.platforms['linux-amd64'];
    if (platform === undefined) throw new Error('fixture lost linux-amd64');
    platform.sha256 = 'deadbeef';
    expect(() => buildKindPins('pins.yaml', { ...document, tools })).toThrow(/tools\.kind\.platforms\.linux-amd64\.sha256/);
  });

  it('rejects a version set without a node image and a node image whose tag disagrees with the set', async () => {
    const document = await pinsDocument();
    expect(() => buildKindPins('pins.yaml', { ...document, nodeImages: { pinned: (document['nodeImages'] as Record<string, string>)['pinned'] } })).toThrow(
      /version set "next" has no node image/,
    );
    const wrongTag = 'kindest/node:v1.35.0@sha256:3489c7674813ba5d8b1a9977baea8a6e553784dab7b84759d1014dbd78f7ebd5';
    expect(() => buildKindPins('pins.yaml', { ...document, nodeImages: { pinned: wrongTag, next: wrongTag } })).toThrow(BadInputError);
  });

  it('rejects a node image given by tag only (no digest)', async () => {
    const document = await pinsDocument();
    expect(() => buildKindPins('pins.yaml', { ...document, nodeImages: { pinned: 'kindest/node:v1.36.1', next: 'kindest/node:v1.36.1' } })).toThrow(
      /name:tag@sha256/,
    );
  });

  it('reads the tag of a digest reference, also behind a registry port', () => {
    expect(imageTag('quay.io/cilium/cilium:v1.20.0@sha256:383968cd5e8873f7976fa76aa6196045643558f4cc9518a207b9335cb24a0e93')).toBe('v1.20.0');
    expect(imageTag('localhost:5000/kindest/node:v1.36.1@sha256:3489c7674813ba5d8b1a9977baea8a6e553784dab7b84759d1014dbd78f7ebd5')).toBe('v1.36.1');
  });

  it('maps node platform names to Go platform keys and profile ids to version sets', async () => {
    expect(currentPlatform('linux', 'x64')).toBe('linux-amd64');
    expect(currentPlatform('darwin', 'arm64')).toBe('darwin-arm64');
    const pins = await loadKindPins();
    expect(versionSetNameFor(pins, 'cilium+istio-ambient')).toBe('pinned');
    expect(versionSetNameFor(pins, 'cilium@next')).toBe('next');
    expect(() => versionSetNameFor(pins, 'cilium@nightly')).toThrow(BadInputError);
  });

  it("renovate's regex manager matches the value line after every `# renovate:` comment", async () => {
    const text = await readFile(DEFAULT_PINS_FILE, 'utf8');
    const renovate = JSON.parse(await readFile(fileURLToPath(new URL('../../renovate.json', import.meta.url)), 'utf8')) as {
      customManagers: { matchStrings: string[] }[];
    };
    const pattern = renovate.customManagers[0]?.matchStrings[0];
    if (pattern === undefined) throw new Error('renovate.json has no regex manager');
    const matches = [...text.matchAll(new RegExp(pattern, 'g'))].map((match) => match.groups ?? {});
    const comments = text.split('\n').filter((line) => line.trim().startsWith('# renovate:')).length;
    expect(matches).toHaveLength(comments);
    expect(matches).toContainEqual(
      expect.objectContaining({ depName: 'kindest/node', currentValue: 'v1.36.1', currentDigest: expect.stringMatching(/^sha256:3489c767/) }),
    );
    expect(matches).toContainEqual(expect.objectContaining({ depName: 'cilium', currentValue: '1.20.0', registryUrl: 'https://helm.cilium.io' }));
  });
});
