import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { BadInputError } from '../../core/domain/errors.ts';
import { TIMEOUTS } from '../../core/timeouts.ts';
import { fixtureFile, gitBlobId, rawGitHubUrl, sha256Of, type Provenance, type ProvenanceEntry } from './upstream-fixtures.ts';

export const REFRESH_USAGE = `Usage: npx tsx bin/refresh-upstream-schemas.ts [--write] [--only <file>]...

Downloads every vendored upstream file listed in test/fixtures/upstream/provenance.json from its pinned
release (https://raw.githubusercontent.com/<repository>/<ref>/<path>) and compares it with the copy and
the recorded bytes, sha256 and git blob id. Needs internet; the tests never run it.

  --write          replace a copy that differs and update its bytes, sha256, gitBlob and url in
                   provenance.json (to move to a new release, edit "ref", "commit" and "version" first)
  --only <file>    only this entry ("file" as in provenance.json, e.g. schemas/istio/crd-all.gen.yaml);
                   repeatable
  -h, --help       this text

Exit: 0 every file matches (or was updated with --write), 1 a file differs or a download failed, 2 bad input.`;

export interface RefreshOptions {
  readonly help: boolean;
  readonly write: boolean;
  /** Entries to refresh, by `file`; empty means all. */
  readonly only: readonly string[];
}

/** The command line, strictly: unknown options and positionals are bad input. */
export function parseRefreshArgs(argv: readonly string[]): RefreshOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { help: { type: 'boolean', short: 'h' }, write: { type: 'boolean' }, only: { type: 'string', multiple: true } },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw new BadInputError((error as Error).message, 'refresh-upstream-schemas arguments', '--write, --only <file>, --help');
  }
  return { help: parsed.values.help === true, write: parsed.values.write === true, only: parsed.values.only ?? [] };
}

export interface Download {
  readonly entry: ProvenanceEntry;
  readonly url: string;
  readonly target: string;
}

/** What to download and where the copy lives; an `--only` naming no entry is bad input listing the entries. */
export function planDownloads(provenance: Provenance, only: readonly string[], root?: string): Download[] {
  const known = provenance.files.map((entry) => entry.file);
  const unknown = only.filter((file) => !known.includes(file));
  if (unknown.length > 0) throw new BadInputError(`--only ${unknown.join(', ')}: not in provenance.json`, '--only', known.join(', '));
  return provenance.files
    .filter((entry) => only.length === 0 || only.includes(entry.file))
    .map((entry) => ({ entry, url: rawGitHubUrl(entry.repository, entry.ref, entry.path), target: fixtureFile(entry, root) }));
}

/** The entry rewritten for downloaded bytes (the URL is re-derived from repository, ref and path). */
export function refreshedEntry(entry: ProvenanceEntry, bytes: Uint8Array): ProvenanceEntry {
  return { ...entry, url: rawGitHubUrl(entry.repository, entry.ref, entry.path), bytes: bytes.length, sha256: sha256Of(bytes), gitBlob: gitBlobId(bytes) };
}

/** One file from its pinned URL: HTTP errors and timeouts are failures, never an empty copy. */
export async function download(url: string): Promise<Uint8Array> {
  const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUTS.downloadMs), redirect: 'follow' });
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status} ${response.statusText}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** Write a refreshed copy with an explicit mode (read-only data, world-readable). */
export async function writeCopy(target: string, bytes: Uint8Array): Promise<void> {
  await writeFile(target, bytes, { mode: 0o644 });
}
