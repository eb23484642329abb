import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BadInputError } from '../../../core/domain/errors.ts';
import { fixtureFile, loadProvenance, provenanceMismatches } from '../../../manifests/contract/upstream-fixtures.ts';
import { kubernetesDocuments, type VendoredManifest } from './gateway-api-bundle.ts';

/** clusters/kind/manifests/: one folder per component, one sub-folder per upstream release tag. */
export const VENDORED_MANIFESTS_DIR = dirname(fileURLToPath(import.meta.url));

/** One upstream release manifest the kind plan applies, vendored byte for byte (not downloaded at run time). */
export interface VendoredRelease {
  /** Folder under clusters/kind/manifests/, e.g. `calico`. */
  readonly component: string;
  /** GitHub `owner/name` the file must come from. */
  readonly repository: string;
  /** The upstream path, e.g. `manifests/operator-crds.yaml`. */
  readonly upstreamPath: string;
  /** The release tag (the version set's value). */
  readonly version: string;
}

/**
 * Load `<component>/<version>/<basename of upstreamPath>` and verify it against that folder's provenance.json (the
 * format of test/fixtures/upstream/provenance.json): from `repository` at the tag `version`, byte for byte (size,
 * sha256, git blob), and nothing else in the folder. A missing or changed copy is refused, never applied.
 */
export function loadVendoredRelease(release: VendoredRelease, root: string = VENDORED_MANIFESTS_DIR): VendoredManifest & { readonly commit: string } {
  const where = `clusters/pins.yaml: ${release.component}`;
  const folder = join(root, release.component, release.version);
  const provenanceFile = join(folder, 'provenance.json');
  const name = posix.basename(release.upstreamPath);
  const fix = `${release.repository} ${release.upstreamPath} at ${release.version}, vendored as ${posix.join(release.component, release.version, name)} with its provenance.json`;
  if (!existsSync(provenanceFile)) {
    throw new BadInputError(`${release.component} ${release.version} is not vendored (no ${provenanceFile})`, where, `a version with a folder under ${join(root, release.component)}: ${fix}`);
  }
  const provenance = loadProvenance(provenanceFile);
  const problems: string[] = [];
  const entry = provenance.files.find((candidate) => candidate.file === name);
  if (entry === undefined || provenance.files.length !== 1) problems.push(`provenance.json must list exactly ${name}`);
  const unlisted = readdirSync(folder).filter((file) => file !== 'provenance.json' && file !== name);
  if (unlisted.length > 0) problems.push(`files provenance.json does not list: ${unlisted.join(', ')}`);
  if (entry !== undefined) {
    if (entry.repository !== release.repository || entry.ref !== release.version || entry.path !== release.upstreamPath) {
      problems.push(`${name} is ${entry.repository}@${entry.ref}:${entry.path}, not ${release.repository}@${release.version}:${release.upstreamPath}`);
    }
  }
  const path = entry === undefined ? undefined : fixtureFile(entry, folder);
  const bytes = path !== undefined && existsSync(path) ? readFileSync(path) : undefined;
  if (entry !== undefined && bytes === undefined) problems.push(`${name} is missing`);
  if (entry !== undefined && bytes !== undefined) problems.push(...provenanceMismatches(entry, bytes));
  if (problems.length > 0 || entry === undefined || bytes === undefined) {
    throw new BadInputError(`vendored ${release.component} ${release.version} does not match its provenance: ${problems.join('; ')}`, folder, fix);
  }
  const content = bytes.toString('utf8');
  return {
    source: posix.join(release.component, release.version, name),
    upstreamPath: entry.path,
    sha256: entry.sha256,
    gitBlob: entry.gitBlob,
    commit: entry.commit,
    content,
    objects: kubernetesDocuments(content, join(folder, name)),
  };
}
