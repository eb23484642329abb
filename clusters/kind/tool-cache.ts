import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { access, chmod, constants, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { execa } from 'execa';
import { InfrastructureError } from '../../core/domain/errors.ts';
import { TIMEOUTS } from '../../core/timeouts.ts';
import { currentPlatform, type ToolName, type ToolPin } from './pins-tools.ts';

export interface ToolCacheOptions {
  /** Defaults to `$XDG_CACHE_HOME/breachmatrix` or `~/.cache/breachmatrix`. */
  readonly cacheDir?: string;
  /** `<os>-<arch>`; defaults to this machine. */
  readonly platform?: string;
  /** The PATH searched for an installed binary; defaults to `process.env.PATH`. Empty string: never use PATH. */
  readonly searchPath?: string;
  readonly fetch?: typeof fetch;
  readonly timeoutMs?: number;
  readonly onProgress?: (line: string) => void;
}

export interface ResolvedTool {
  readonly name: ToolName;
  readonly path: string;
  readonly version: string;
  /** Where it came from: an installed binary, the cache, or a download made now. */
  readonly source: 'path' | 'cache' | 'download';
}

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env['XDG_CACHE_HOME'];
  return join(xdg !== undefined && xdg !== '' ? xdg : join(homedir(), '.cache'), 'breachmatrix');
}

/** The first `x.y.z` a tool prints for its version command, with the leading `v`. */
export function parseToolVersion(output: string): string | undefined {
  const match = /\bv?(\d+\.\d+\.\d+)\b/.exec(output);
  return match?.[1] === undefined ? undefined : `v${match[1]}`;
}

const VERSION_ARGS: Readonly<Record<ToolName, readonly string[]>> = {
  kind: ['version'],
  helm: ['version', '--template', '{{.Version}}'],
};

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function versionOf(name: ToolName, file: string): Promise<string | undefined> {
  const result = await execa(file, [...VERSION_ARGS[name]], { reject: false, timeout: TIMEOUTS.scriptExecMs });
  return result.exitCode === 0 ? parseToolVersion(`${result.stdout}\n${result.stderr}`) : undefined;
}

/** An installed binary of exactly the pinned version on the search path, if there is one. */
export async function findOnPath(name: ToolName, version: string, searchPath: string): Promise<string | undefined> {
  for (const directory of searchPath.split(delimiter).filter((entry) => entry !== '')) {
    const candidate = join(directory, name);
    if (!(await isExecutable(candidate))) continue;
    if ((await versionOf(name, candidate)) === version) return candidate;
  }
  return undefined;
}

/** Stream a URL to `file`, hashing as it goes; returns the SHA-256 hex of what was written. */
async function download(url: string, file: string, fetchImpl: typeof fetch, timeoutMs: number): Promise<string> {
  let response: Response;
  try {
    response = await fetchImpl(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
  } catch (error) {
    throw new InfrastructureError('tool download', `${url}: ${(error as Error).message}`, { cause: error });
  }
  if (!response.ok || response.body === null) {
    throw new InfrastructureError('tool download', `${url}: HTTP ${response.status}`);
  }
  const hash = createHash('sha256');
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  await pipeline(Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>), hashing, createWriteStream(file, { mode: 0o600 }));
  return hash.digest('hex');
}

function cachePaths(name: ToolName, pin: ToolPin, platform: string, cacheDir: string | undefined): { directory: string; binary: string; marker: string } {
  const directory = join(cacheDir ?? defaultCacheDir(), 'tools', `${name}-${pin.version}-${platform}`);
  const binary = join(directory, name);
  return { directory, binary, marker: `${binary}.sha256` };
}

/** The cached binary verified against the pinned checksum for this platform, if there is one (never downloads). */
export async function findInCache(name: ToolName, pin: ToolPin, options: Pick<ToolCacheOptions, 'cacheDir' | 'platform'> = {}): Promise<string | undefined> {
  const platform = options.platform ?? currentPlatform();
  const artifact = pin.platforms[platform];
  if (artifact === undefined) return undefined;
  const { binary, marker } = cachePaths(name, pin, platform, options.cacheDir);
  // The marker records the checksum the binary was verified against; a changed pin means a new download.
  const recorded = await readFile(marker, 'utf8').catch(() => '');
  return recorded.trim() === artifact.sha256 && (await isExecutable(binary)) ? binary : undefined;
}

/**
 * The pinned tool if it is already here — on PATH at the pinned version, else verified in the cache — without
 * downloading anything.
 */
export async function findInstalledTool(name: ToolName, pin: ToolPin, options: ToolCacheOptions = {}): Promise<ResolvedTool | undefined> {
  const searchPath = options.searchPath ?? process.env['PATH'] ?? '';
  const onPath = await findOnPath(name, pin.version, searchPath);
  if (onPath !== undefined) return { name, path: onPath, version: pin.version, source: 'path' };
  const cached = await findInCache(name, pin, options);
  return cached === undefined ? undefined : { name, path: cached, version: pin.version, source: 'cache' };
}

/**
 * Find `name` on PATH at the pinned version, else in the cache, else download it for this platform and
 * verify its SHA-256. A mismatch is an InfrastructureError and leaves no file behind: a binary that does not
 * match its published checksum is never run.
 */
export async function ensureTool(name: ToolName, pin: ToolPin, options: ToolCacheOptions = {}): Promise<ResolvedTool> {
  const installed = await findInstalledTool(name, pin, options);
  if (installed !== undefined) return installed;

  const platform = options.platform ?? currentPlatform();
  const artifact = pin.platforms[platform];
  if (artifact === undefined) {
    throw new InfrastructureError(
      name,
      `no pinned download for platform ${platform} (pinned: ${Object.keys(pin.platforms).join(', ')}); install ${name} ${pin.version} on PATH`,
    );
  }
  const { directory, binary, marker } = cachePaths(name, pin, platform, options.cacheDir);

  await mkdir(directory, { recursive: true });
  const partial = await mkdtemp(join(directory, '.partial-'));
  try {
    const downloaded = join(partial, 'download');
    options.onProgress?.(`downloading ${name} ${pin.version} (${platform}) from ${artifact.url}`);
    const actual = await download(artifact.url, downloaded, options.fetch ?? fetch, options.timeoutMs ?? TIMEOUTS.downloadMs);
    if (actual !== artifact.sha256) {
      throw new InfrastructureError(
        name,
        `checksum mismatch for ${artifact.url}: expected sha256 ${artifact.sha256}, got ${actual}; the download was deleted`,
      );
    }
    let extracted = downloaded;
    if (pin.archive === 'tar.gz') {
      const member = artifact.member ?? name;
      const result = await execa('tar', ['-xzf', downloaded, '-C', partial, member], { reject: false, timeout: TIMEOUTS.scriptExecMs });
      if (result.exitCode !== 0) throw new InfrastructureError(name, `cannot extract ${member} from ${artifact.url}: ${result.stderr}`);
      extracted = join(partial, member);
    }
    await chmod(extracted, 0o755);
    await rename(extracted, binary);
    await writeFile(marker, `${artifact.sha256}\n`);
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
  return { name, path: binary, version: pin.version, source: 'download' };
}
