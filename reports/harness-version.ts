import { readFile } from 'node:fs/promises';
import { InfrastructureError } from '../core/domain/errors.ts';

const PACKAGE_JSON = new URL('../package.json', import.meta.url);
let cached: Promise<string> | undefined;

/** The harness's own version, from package.json at run time (reports and results headers carry it). */
export function harnessVersion(): Promise<string> {
  cached ??= readVersion();
  return cached;
}

async function readVersion(): Promise<string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(PACKAGE_JSON, 'utf8'));
  } catch (error) {
    throw new InfrastructureError('harness', `cannot read ${PACKAGE_JSON.pathname}: ${(error as Error).message}`);
  }
  const version = (parsed as { version?: unknown } | null)?.version;
  if (typeof version !== 'string') throw new InfrastructureError('harness', `${PACKAGE_JSON.pathname} has no "version" string`);
  return version;
}
