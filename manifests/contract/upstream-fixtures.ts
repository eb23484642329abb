import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { BadInputError } from '../../core/domain/errors.ts';

/**
 * Upstream files the tests check against (CRDs, Helm values schemas, Istio's capture-rule goldens), vendored
 * byte for byte under test/fixtures/upstream/ with their provenance in provenance.json. Nothing here reads
 * outside the repository; bin/refresh-upstream-schemas.ts re-downloads them from the pinned releases.
 */
export const UPSTREAM_FIXTURES_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test', 'fixtures', 'upstream');
/** The CRDs and Helm values schemas (loadCrdValidator reads every YAML CRD under it). */
export const UPSTREAM_SCHEMAS_DIR = join(UPSTREAM_FIXTURES_DIR, 'schemas');
export const PROVENANCE_FILE = join(UPSTREAM_FIXTURES_DIR, 'provenance.json');

const HEX40 = /^[0-9a-f]{40}$/;

/** A path inside the fixtures folder: relative, normalised, never climbing out. */
const fixturePath = z
  .string()
  .min(1)
  .refine((path) => !isAbsolute(path) && normalize(path) === path && !path.split(/[\\/]/).includes('..'), 'a relative path inside test/fixtures/upstream');

const provenanceEntrySchema = z.strictObject({
  /** Where the copy lives, relative to test/fixtures/upstream/. */
  file: fixturePath,
  /** GitHub `owner/name`. */
  repository: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*\/[A-Za-z0-9][A-Za-z0-9_.-]*$/),
  /** The file's path in that repository. */
  path: z.string().min(1),
  /** The release tag the URL pins (or a commit id where upstream has no release holding the file). */
  ref: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._/-]*$/),
  /** The commit `ref` pointed at when the file was copied. */
  commit: z.string().regex(HEX40),
  version: z.string().min(1),
  /** Raw GitHub URL at `ref`; must equal rawGitHubUrl(repository, ref, path). */
  url: z.url(),
  license: z.string().min(1),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** `git hash-object` of the file: the blob id upstream has at `commit`. */
  gitBlob: z.string().regex(HEX40),
  /** Which test needs it (keep only what a test loads). */
  usedBy: z.string().min(1),
});
export type ProvenanceEntry = z.infer<typeof provenanceEntrySchema>;

const provenanceSchema = z.strictObject({ files: z.array(provenanceEntrySchema).min(1) });
export type Provenance = z.infer<typeof provenanceSchema>;

/** The raw download URL of `path` in a GitHub repository at a tag or commit. */
export function rawGitHubUrl(repository: string, ref: string, path: string): string {
  const encoded = path.split('/').map(encodeURIComponent).join('/');
  return `https://raw.githubusercontent.com/${repository}/${encodeURIComponent(ref).replaceAll('%2F', '/')}/${encoded}`;
}

/** Git's blob id of some bytes (what `git hash-object` prints). */
export function gitBlobId(bytes: Uint8Array): string {
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

export function sha256Of(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Parse provenance.json's text; bad content is bad input naming the field. */
export function parseProvenance(text: string, where: string = PROVENANCE_FILE): Provenance {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new BadInputError(`not JSON: ${(error as Error).message}`, where, 'the provenance object {"files": [...]}');
  }
  const parsed = provenanceSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '/'}: ${issue.message}`);
    throw new BadInputError(`invalid provenance: ${problems.join('; ')}`, where, 'entries with file, repository, path, ref, commit, version, url, license, bytes, sha256, gitBlob, usedBy');
  }
  const seen = new Set<string>();
  for (const entry of parsed.data.files) {
    if (seen.has(entry.file)) throw new BadInputError(`${entry.file} is listed twice`, where, 'one entry per vendored file');
    seen.add(entry.file);
  }
  return parsed.data;
}

export function loadProvenance(file: string = PROVENANCE_FILE): Provenance {
  return parseProvenance(readFileSync(file, 'utf8'), file);
}

/** Absolute path of a vendored file. */
export function fixtureFile(entry: Pick<ProvenanceEntry, 'file'>, root: string = UPSTREAM_FIXTURES_DIR): string {
  const path = resolve(root, entry.file);
  if (!path.startsWith(root + sep)) throw new BadInputError(`${entry.file} is outside ${root}`, PROVENANCE_FILE, 'a relative path inside the fixtures folder');
  return path;
}

/** Every way `bytes` differ from what the entry records (empty: the copy is the recorded upstream file). */
export function provenanceMismatches(entry: ProvenanceEntry, bytes: Uint8Array): string[] {
  const problems: string[] = [];
  if (bytes.length !== entry.bytes) problems.push(`${entry.file}: ${bytes.length} bytes, provenance says ${entry.bytes}`);
  const sha = sha256Of(bytes);
  if (sha !== entry.sha256) problems.push(`${entry.file}: sha256 ${sha}, provenance says ${entry.sha256}`);
  const blob = gitBlobId(bytes);
  if (blob !== entry.gitBlob) problems.push(`${entry.file}: git blob ${blob}, provenance says ${entry.gitBlob}`);
  const url = rawGitHubUrl(entry.repository, entry.ref, entry.path);
  if (url !== entry.url) problems.push(`${entry.file}: url ${entry.url} is not ${url} (repository, ref, path)`);
  return problems;
}
