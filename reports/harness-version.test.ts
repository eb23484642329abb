import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { harnessVersion } from './harness-version.ts';

describe('harnessVersion', () => {
  it('is the version in package.json', async () => {
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    await expect(harnessVersion()).resolves.toBe(pkg.version);
    expect(pkg.version).toMatch(/^\d+\.\d+\.\d+/);
  });
});
