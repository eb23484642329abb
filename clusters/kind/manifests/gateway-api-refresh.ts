import { parseArgs } from 'node:util';
import { posix } from 'node:path';
import { BadInputError } from '../../../core/domain/errors.ts';
import { gitBlobId, rawGitHubUrl, sha256Of, type ProvenanceEntry } from '../../../manifests/contract/upstream-fixtures.ts';
import { GATEWAY_API_HEADER_PATH, GATEWAY_API_REPOSITORY, releaseOrder } from './gateway-api-bundle.ts';

export const GATEWAY_API_REFRESH_USAGE = `Usage: npx tsx bin/refresh-gateway-api.ts --version <vX.Y.Z> [--write]

Vendors the Gateway API standard-channel release <vX.Y.Z> into clusters/kind/manifests/gateway-api/<vX.Y.Z>/:
the files hack/build-install-yaml.sh concatenates into standard-install.yaml (config/crd/standard/gateway*.yaml
in name order, and the licence header hack/boilerplate/boilerplate.sh.txt), downloaded from
https://raw.githubusercontent.com/${GATEWAY_API_REPOSITORY}/<vX.Y.Z>/<path>. The tag's commit and file list come
from the GitHub API; each download must have the git blob id the API lists for it. Needs internet; the tests
never run it. Check the tag's hack/build-install-yaml.sh still builds the release this way before committing.

  --version <v>   the release tag, e.g. v1.6.1 (the gatewayApi value in clusters/pins.yaml)
  --write         write the folder and its provenance.json; without it, only download and compare with the
                  vendored copy
  -h, --help      this text

Exit: 0 the copy matches (or was written with --write), 1 it differs or a download failed, 2 bad input.`;

export interface GatewayApiRefreshOptions {
  readonly help: boolean;
  readonly write: boolean;
  readonly version: string;
}

const RELEASE_TAG = /^v\d+\.\d+\.\d+$/;

/** The command line, strictly: unknown options, positionals and a missing or malformed --version are bad input. */
export function parseGatewayApiRefreshArgs(argv: readonly string[]): GatewayApiRefreshOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { help: { type: 'boolean', short: 'h' }, write: { type: 'boolean' }, version: { type: 'string' } },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw new BadInputError((error as Error).message, 'refresh-gateway-api arguments', '--version <vX.Y.Z>, --write, --help');
  }
  const help = parsed.values.help === true;
  const version = parsed.values.version ?? '';
  if (!help && !RELEASE_TAG.test(version)) {
    throw new BadInputError(version === '' ? '--version is required' : `--version ${version} is not a release tag`, '--version', 'a release tag such as v1.6.1');
  }
  return { help, write: parsed.values.write === true, version };
}

/** GitHub API URLs for the tag's commit and for one directory or file listing at the tag. */
export function gitHubApiUrls(version: string): { readonly commit: string; readonly standardDir: string; readonly header: string } {
  const base = `https://api.github.com/repos/${GATEWAY_API_REPOSITORY}`;
  const ref = `?ref=${encodeURIComponent(version)}`;
  return {
    commit: `${base}/commits/${encodeURIComponent(version)}`,
    standardDir: `${base}/contents/config/crd/standard${ref}`,
    header: `${base}/contents/${GATEWAY_API_HEADER_PATH}${ref}`,
  };
}

/** A listed file of the GitHub contents API. */
export interface ListedFile {
  readonly path: string;
  /** The git blob id. */
  readonly sha: string;
}

/** What to download, in provenance order: the header, then the release's files in release order. */
export function filesToVendor(header: ListedFile, standardDir: readonly ListedFile[]): ListedFile[] {
  const members = releaseOrder(standardDir.map((file) => file.path));
  if (members.length === 0) throw new Error('the tag has no config/crd/standard/gateway*.yaml: the release layout changed, check hack/build-install-yaml.sh');
  return [header, ...members.map((path) => standardDir.find((file) => file.path === path) as ListedFile)];
}

/** The provenance record of one downloaded file, in the format of test/fixtures/upstream/provenance.json. */
export function vendoredEntry(version: string, commit: string, path: string, bytes: Uint8Array): ProvenanceEntry {
  return {
    file: posix.basename(path),
    repository: GATEWAY_API_REPOSITORY,
    path,
    ref: version,
    commit,
    version: `Gateway API ${version} (standard channel)`,
    url: rawGitHubUrl(GATEWAY_API_REPOSITORY, version, path),
    license: `Apache-2.0 (LICENSE of ${GATEWAY_API_REPOSITORY} at ${version})`,
    bytes: bytes.length,
    sha256: sha256Of(bytes),
    gitBlob: gitBlobId(bytes),
    usedBy:
      path === GATEWAY_API_HEADER_PATH
        ? 'the licence header hack/build-install-yaml.sh puts first in standard-install.yaml; not applied (comments only), it lets the test rebuild the release asset'
        : 'ambient profiles: the Gateway API standard-channel install (clusters/kind/plan/installers/istio-ambient.ts)',
  };
}
