import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../../core/domain/cluster.ts';
import { BadInputError } from '../../../core/domain/errors.ts';
import { fixtureFile, loadProvenance, provenanceMismatches, type ProvenanceEntry } from '../../../manifests/contract/upstream-fixtures.ts';

/**
 * The Gateway API standard-channel install, vendored per version under clusters/kind/manifests/gateway-api/<version>/
 * byte for byte from kubernetes-sigs/gateway-api at the release tag, each file recorded in that folder's
 * provenance.json (the format of test/fixtures/upstream/provenance.json). Nothing is downloaded at run time.
 *
 * What the release asset `standard-install.yaml` holds (hack/build-install-yaml.sh at v1.5.0 and v1.6.1):
 * hack/boilerplate/boilerplate.sh.txt, a three-line comment, then for every `config/crd/standard/gateway*.yaml` in
 * glob (name) order `---`, a comment naming the file, and the file — the CRDs and the `safe-upgrades`
 * ValidatingAdmissionPolicy with its binding. The vendored folder holds exactly those files.
 */
export const GATEWAY_API_MANIFESTS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'gateway-api');

export const GATEWAY_API_REPOSITORY = 'kubernetes-sigs/gateway-api';
/** The release script's licence header; part of the asset, not applied (comments only). */
export const GATEWAY_API_HEADER_PATH = 'hack/boilerplate/boilerplate.sh.txt';
const STANDARD_DIR = 'config/crd/standard';
/** The release script's glob, `config/crd/standard/gateway*.yaml`. */
const RELEASE_MEMBER = /^config\/crd\/standard\/gateway[^/]*\.yaml$/;

/** How to (re-)vendor a version, named in every error about a missing or changed folder. */
export function gatewayApiRefreshCommand(version: string): string {
  return `npx tsx bin/refresh-gateway-api.ts --version ${version} --write`;
}

export interface VendoredManifest {
  /** Path inside the repository's vendored folder, relative to clusters/kind/manifests/: gateway-api/<version>/<name>. */
  readonly source: string;
  /** The upstream file it is a copy of, e.g. config/crd/standard/gateway.networking.k8s.io_gateways.yaml. */
  readonly upstreamPath: string;
  readonly sha256: string;
  readonly gitBlob: string;
  /** The bytes as vendored (what the plan writes). */
  readonly content: string;
  /** Its YAML documents, in order (what is applied). */
  readonly objects: readonly KubeObject[];
}

export interface GatewayApiBundle {
  readonly version: string;
  readonly commit: string;
  /** The release's licence header, verified like the rest; not applied. */
  readonly header: string;
  /** The applied files, in the release's order. */
  readonly manifests: readonly VendoredManifest[];
  /** Names of the CRDs the bundle creates, in apply order. */
  readonly crdNames: readonly string[];
}

/** Release order: bash sorts the glob by name; these names are lowercase ASCII, so byte order is that order. */
export function releaseOrder(paths: readonly string[]): string[] {
  return paths.filter((path) => RELEASE_MEMBER.test(path)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * YAML documents as Kubernetes reads them. Kubernetes decodes with YAML 1.1 rules (sigs.k8s.io/yaml, go-yaml v2),
 * the `yaml` package defaults to 1.2: a scalar the two read differently (`yes`, `on`, `0777`, …) would change the
 * object, so such a file is refused rather than applied with a guess.
 */
export function kubernetesDocuments(text: string, where: string): KubeObject[] {
  const read = (version: '1.1' | '1.2'): unknown[] =>
    parseAllDocuments(text, { version }).map((document) => {
      if (document.errors.length > 0) throw new BadInputError(`not YAML: ${document.errors[0]?.message ?? ''}`, where, 'the vendored upstream file unchanged');
      return document.toJSON() as unknown;
    });
  const strict = read('1.2');
  if (JSON.stringify(strict) !== JSON.stringify(read('1.1'))) {
    throw new BadInputError('YAML 1.1 and 1.2 read this file differently', where, 'a manifest whose scalars mean the same to Kubernetes (YAML 1.1) and to this harness');
  }
  return strict.filter((document) => document !== null).map((document) => {
    const object = document as Partial<KubeObject>;
    if (typeof object !== 'object' || typeof object.apiVersion !== 'string' || typeof object.kind !== 'string' || typeof object.metadata?.name !== 'string') {
      throw new BadInputError('a document without apiVersion, kind and metadata.name', where, 'Kubernetes objects');
    }
    return document as KubeObject;
  });
}

function mustMatch(entry: ProvenanceEntry, version: string, where: string): void {
  if (entry.repository !== GATEWAY_API_REPOSITORY || entry.ref !== version) {
    throw new BadInputError(`${entry.file} is from ${entry.repository}@${entry.ref}`, where, `${GATEWAY_API_REPOSITORY} at ${version}`);
  }
  const expected = posix.basename(entry.path);
  if (entry.file !== expected) throw new BadInputError(`${entry.file} is a copy of ${entry.path}`, where, `the upstream file name, ${expected}`);
}

/**
 * Load and verify a vendored version: every file is byte for byte its provenance record (size, sha256, git blob),
 * all from one commit of the tag, the header plus exactly the release's files in the release's order. Anything
 * else is refused with the command that re-vendors the version.
 */
export function loadGatewayApiBundle(version: string, root: string = GATEWAY_API_MANIFESTS_DIR): GatewayApiBundle {
  if (!/^v\d+\.\d+\.\d+$/.test(version)) throw new BadInputError(`"${version}" is not a Gateway API release tag`, 'clusters/pins.yaml: gatewayApi', 'vX.Y.Z');
  const folder = join(root, version);
  const provenanceFile = join(folder, 'provenance.json');
  if (!existsSync(provenanceFile)) {
    throw new BadInputError(
      `Gateway API ${version} is not vendored (no ${provenanceFile})`,
      'clusters/pins.yaml: gatewayApi',
      `a version with a folder under ${root}; vendor it on a machine with internet: ${gatewayApiRefreshCommand(version)}`,
    );
  }
  const provenance = loadProvenance(provenanceFile);
  const problems: string[] = [];
  const commits = new Set(provenance.files.map((entry) => entry.commit));
  if (commits.size !== 1) problems.push(`files from ${commits.size} commits: ${[...commits].join(', ')}`);
  const header = provenance.files.filter((entry) => entry.path === GATEWAY_API_HEADER_PATH);
  const members = provenance.files.filter((entry) => entry.path !== GATEWAY_API_HEADER_PATH);
  const order = members.map((entry) => entry.path);
  if (header.length !== 1) problems.push(`${header.length} entries for ${GATEWAY_API_HEADER_PATH}, expected 1`);
  if (members.length === 0 || JSON.stringify(releaseOrder(order)) !== JSON.stringify(order)) {
    problems.push(`the files are not ${STANDARD_DIR}/gateway*.yaml in name order: ${order.join(', ')}`);
  }
  const listed = new Set([...provenance.files.map((entry) => entry.file), 'provenance.json']);
  const unlisted = readdirSync(folder).filter((name) => !listed.has(name));
  if (unlisted.length > 0) problems.push(`files provenance.json does not list: ${unlisted.join(', ')}`);
  // Read each file once: what is verified is what is applied.
  const bytes = new Map<string, Buffer>();
  for (const entry of provenance.files) {
    mustMatch(entry, version, provenanceFile);
    const path = fixtureFile(entry, folder);
    if (!existsSync(path)) {
      problems.push(`${entry.file} is missing`);
      continue;
    }
    const content = readFileSync(path);
    bytes.set(entry.file, content);
    problems.push(...provenanceMismatches(entry, content));
  }
  if (problems.length > 0) {
    throw new BadInputError(`vendored Gateway API ${version} does not match its provenance: ${problems.join('; ')}`, folder, `the files as vendored; re-vendor: ${gatewayApiRefreshCommand(version)}`);
  }
  const manifests = members.map((entry): VendoredManifest => {
    const content = (bytes.get(entry.file) ?? Buffer.alloc(0)).toString('utf8');
    return {
      source: posix.join('gateway-api', version, entry.file),
      upstreamPath: entry.path,
      sha256: entry.sha256,
      gitBlob: entry.gitBlob,
      content,
      objects: kubernetesDocuments(content, join(folder, entry.file)),
    };
  });
  const crdNames = manifests.flatMap((manifest) => manifest.objects).filter((object) => object.kind === 'CustomResourceDefinition').map((object) => object.metadata.name);
  return { version, commit: [...commits][0] ?? '', header: (bytes.get((header[0] as ProvenanceEntry).file) ?? Buffer.alloc(0)).toString('utf8'), manifests, crdNames };
}

/** standard-install.yaml as hack/build-install-yaml.sh writes it, from the vendored files (documentation and tests). */
export function releaseInstallYaml(bundle: GatewayApiBundle): string {
  const parts = [bundle.header, '#\n# Gateway API Standard channel install\n#\n'];
  for (const manifest of bundle.manifests) parts.push(`---\n#\n# ${manifest.upstreamPath}\n#\n`, manifest.content);
  return parts.join('');
}
