import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfrastructureError } from '../../core/domain/errors.ts';
import type { ToolPin } from './pins-tools.ts';
import { defaultCacheDir, ensureTool, parseToolVersion } from './tool-cache.ts';

const KIND_SCRIPT = '#!/bin/sh\necho "kind v9.8.7 go1.25 linux/amd64"\n';
const HELM_SCRIPT = '#!/bin/sh\necho "v9.1.2"\n';

let work: string;
let server: Server;
let base: string;
const hits: string[] = [];
const files = new Map<string, Buffer>();

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'bm-tool-cache-'));
  files.set('/kind-linux-amd64', Buffer.from(KIND_SCRIPT));
  // A real tar.gz laid out like helm's: linux-amd64/helm inside.
  const staging = join(work, 'staging');
  await mkdir(join(staging, 'linux-amd64'), { recursive: true });
  await writeFile(join(staging, 'linux-amd64', 'helm'), HELM_SCRIPT, { mode: 0o755 });
  await writeFile(join(staging, 'linux-amd64', 'LICENSE'), 'test archive\n');
  await execa('tar', ['-czf', join(work, 'helm.tar.gz'), '-C', staging, 'linux-amd64']);
  files.set('/helm-linux-amd64.tar.gz', await readFile(join(work, 'helm.tar.gz')));
  server = createServer((request, response) => {
    hits.push(request.url ?? '');
    const body = files.get(request.url ?? '');
    if (body === undefined) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(work, { recursive: true, force: true });
});

function kindPin(checksum: string): ToolPin {
  return { version: 'v9.8.7', archive: 'none', platforms: { 'linux-amd64': { url: `${base}/kind-linux-amd64`, sha256: checksum } } };
}

function helmPin(checksum: string): ToolPin {
  return {
    version: 'v9.1.2',
    archive: 'tar.gz',
    platforms: { 'linux-amd64': { url: `${base}/helm-linux-amd64.tar.gz`, sha256: checksum, member: 'linux-amd64/helm' } },
  };
}

describe('tool cache', () => {
  it('downloads a raw binary with a good checksum, caches it, and reuses it without another request', async () => {
    const cacheDir = join(work, 'cache-good');
    const good = sha256(files.get('/kind-linux-amd64') ?? Buffer.alloc(0));
    const before = hits.length;
    const first = await ensureTool('kind', kindPin(good), { cacheDir, platform: 'linux-amd64', searchPath: '' });
    expect(first.source).toBe('download');
    expect((await execa(first.path, ['version'])).stdout).toContain('kind v9.8.7');
    const second = await ensureTool('kind', kindPin(good), { cacheDir, platform: 'linux-amd64', searchPath: '' });
    expect(second).toEqual({ ...first, source: 'cache' });
    expect(hits.length - before).toBe(1);
  });

  it('verifies the archive checksum, extracts the member and runs it', async () => {
    const cacheDir = join(work, 'cache-helm');
    const good = sha256(files.get('/helm-linux-amd64.tar.gz') ?? Buffer.alloc(0));
    const tool = await ensureTool('helm', helmPin(good), { cacheDir, platform: 'linux-amd64', searchPath: '' });
    expect(tool.source).toBe('download');
    expect((await execa(tool.path, ['version'])).stdout).toBe('v9.1.2');
    // Only the binary and its checksum marker stay in the cache: no archive, no partial directory.
    expect((await readdir(join(cacheDir, 'tools', 'helm-v9.1.2-linux-amd64'))).sort()).toEqual(['helm', 'helm.sha256']);
  });

  it('a checksum mismatch is an InfrastructureError and leaves no file behind', async () => {
    const cacheDir = join(work, 'cache-bad');
    const wrong = 'a'.repeat(64);
    const attempt = ensureTool('kind', kindPin(wrong), { cacheDir, platform: 'linux-amd64', searchPath: '' });
    await expect(attempt).rejects.toBeInstanceOf(InfrastructureError);
    await expect(attempt).rejects.toThrow(/checksum mismatch .* expected sha256 a{64}, got [a-f0-9]{64}/);
    expect(await readdir(join(cacheDir, 'tools', 'kind-v9.8.7-linux-amd64'))).toEqual([]);
  });

  it('a cached binary verified against an older checksum is downloaded again, not trusted', async () => {
    const cacheDir = join(work, 'cache-repin');
    const good = sha256(files.get('/kind-linux-amd64') ?? Buffer.alloc(0));
    await ensureTool('kind', kindPin(good), { cacheDir, platform: 'linux-amd64', searchPath: '' });
    await expect(ensureTool('kind', kindPin('b'.repeat(64)), { cacheDir, platform: 'linux-amd64', searchPath: '' })).rejects.toThrow(
      /checksum mismatch/,
    );
  });

  it('uses a binary on PATH only at the pinned version', async () => {
    const bin = join(work, 'bin');
    await mkdir(bin, { recursive: true });
    await writeFile(join(bin, 'kind'), KIND_SCRIPT, { mode: 0o755 });
    const cacheDir = join(work, 'cache-path');
    const before = hits.length;
    const found = await ensureTool('kind', kindPin('c'.repeat(64)), { cacheDir, platform: 'linux-amd64', searchPath: bin });
    expect(found).toEqual({ name: 'kind', path: join(bin, 'kind'), version: 'v9.8.7', source: 'path' });
    expect(hits.length).toBe(before);
    const otherVersion: ToolPin = { ...kindPin('c'.repeat(64)), version: 'v9.8.8' };
    await expect(ensureTool('kind', otherVersion, { cacheDir, platform: 'linux-amd64', searchPath: bin })).rejects.toThrow(/checksum mismatch/);
  });

  it('refuses a platform the pins have no download for', async () => {
    await expect(ensureTool('kind', kindPin('d'.repeat(64)), { cacheDir: join(work, 'x'), platform: 'windows-amd64', searchPath: '' })).rejects.toThrow(
      /no pinned download for platform windows-amd64/,
    );
  });

  it('parses tool versions and picks the cache directory from XDG_CACHE_HOME', () => {
    expect(parseToolVersion('kind v0.32.0 go1.25.1 linux/amd64')).toBe('v0.32.0');
    expect(parseToolVersion('v4.2.3')).toBe('v4.2.3');
    expect(parseToolVersion('no version here')).toBeUndefined();
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/x/cache' })).toBe('/x/cache/breachmatrix');
    expect(defaultCacheDir({ HOME: '/home/u' })).toMatch(/\.cache\/breachmatrix$/);
  });
});
