import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BadInputError } from '../../core/domain/errors.ts';
import {
  PROVENANCE_FILE,
  UPSTREAM_FIXTURES_DIR,
  fixtureFile,
  gitBlobId,
  loadProvenance,
  parseProvenance,
  provenanceMismatches,
  rawGitHubUrl,
  type ProvenanceEntry,
} from './upstream-fixtures.ts';
import { REFRESH_USAGE, parseRefreshArgs, planDownloads, refreshedEntry } from './upstream-refresh.ts';

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

const provenance = loadProvenance();

describe('vendored upstream files', () => {
  it.each(provenance.files.map((entry) => [entry.file, entry] as const))('%s is byte for byte the recorded upstream file', (_file, entry) => {
    const bytes = readFileSync(fixtureFile(entry));
    expect(provenanceMismatches(entry, bytes)).toEqual([]);
    expect(entry.license).toMatch(/^Apache-2\.0/);
  });

  it('holds exactly the files provenance.json lists, plus README.md', () => {
    const present = filesUnder(UPSTREAM_FIXTURES_DIR).map((file) => relative(UPSTREAM_FIXTURES_DIR, file)).sort();
    const listed = [...provenance.files.map((entry) => entry.file), 'README.md', relative(UPSTREAM_FIXTURES_DIR, PROVENANCE_FILE)].sort();
    expect(present).toEqual(listed);
  });

  it('computes git blob ids as git does', () => {
    // `printf 'hello\n' | git hash-object --stdin`
    expect(gitBlobId(new TextEncoder().encode('hello\n'))).toBe('ce013625030ba8dba906f756967f9e9ca394464a');
  });

  it('reports a changed byte, a wrong size and a URL that does not match repository, ref and path', () => {
    const entry = provenance.files[0] as ProvenanceEntry;
    const bytes = readFileSync(fixtureFile(entry));
    const tampered = Buffer.from(bytes);
    tampered[0] = (tampered[0] ?? 0) ^ 1;
    const problems = provenanceMismatches(entry, tampered);
    expect(problems.some((problem) => problem.includes('sha256'))).toBe(true);
    expect(problems.some((problem) => problem.includes('git blob'))).toBe(true);
    expect(provenanceMismatches(entry, bytes.subarray(1)).some((problem) => problem.includes('bytes'))).toBe(true);
    expect(provenanceMismatches({ ...entry, ref: 'main' }, bytes).some((problem) => problem.includes('url'))).toBe(true);
  });

  it('refuses provenance that is not JSON, lacks a field, lists a file twice or climbs out of the folder', () => {
    const entry = provenance.files[0] as ProvenanceEntry;
    expect(() => parseProvenance('{', 'p.json')).toThrow(BadInputError);
    const { sha256: _dropped, ...withoutSha } = entry;
    expect(() => parseProvenance(JSON.stringify({ files: [withoutSha] }), 'p.json')).toThrow(/files\.0\.sha256/);
    expect(() => parseProvenance(JSON.stringify({ files: [entry, entry] }), 'p.json')).toThrow(/listed twice/);
    expect(() => parseProvenance(JSON.stringify({ files: [{ ...entry, file: '../../etc/passwd' }] }), 'p.json')).toThrow(/files\.0\.file/);
  });
});

describe('refresh-upstream-schemas (no network here: arguments and URLs only)', () => {
  it('parses --write, repeated --only and --help; refuses anything else with bad input', () => {
    expect(parseRefreshArgs([])).toEqual({ help: false, write: false, only: [] });
    expect(parseRefreshArgs(['--write', '--only', 'a', '--only', 'b'])).toEqual({ help: false, write: true, only: ['a', 'b'] });
    expect(parseRefreshArgs(['-h']).help).toBe(true);
    expect(() => parseRefreshArgs(['--force'])).toThrow(BadInputError);
    expect(() => parseRefreshArgs(['schemas/istio/crd-all.gen.yaml'])).toThrow(BadInputError);
    expect(REFRESH_USAGE).toContain('--only <file>');
  });

  it('builds raw GitHub URLs at the pinned tag for every entry', () => {
    expect(rawGitHubUrl('istio/istio', '1.29.6', 'manifests/charts/base/files/crd-all.gen.yaml')).toBe(
      'https://raw.githubusercontent.com/istio/istio/1.29.6/manifests/charts/base/files/crd-all.gen.yaml',
    );
    const downloads = planDownloads(provenance, []);
    expect(downloads.map((item) => item.entry.file)).toEqual(provenance.files.map((entry) => entry.file));
    const cilium = downloads.find((item) => item.entry.file === 'schemas/cilium/ciliumnetworkpolicies.yaml');
    expect(cilium?.url).toBe('https://raw.githubusercontent.com/cilium/cilium/v1.19.4/pkg/k8s/apis/cilium.io/client/crds/v2/ciliumnetworkpolicies.yaml');
    expect(cilium?.target).toBe(join(UPSTREAM_FIXTURES_DIR, 'schemas', 'cilium', 'ciliumnetworkpolicies.yaml'));
  });

  it('selects with --only and names the known entries for an unknown one', () => {
    expect(planDownloads(provenance, ['schemas/helm/istio-gateway-values.schema.json']).map((item) => item.entry.file)).toEqual([
      'schemas/helm/istio-gateway-values.schema.json',
    ]);
    expect(() => planDownloads(provenance, ['nope.yaml'])).toThrow(/nope\.yaml: not in provenance\.json.*schemas\/istio\/crd-all\.gen\.yaml/);
  });

  it('rewrites checksums and the URL from downloaded bytes, keeping the rest of the entry', () => {
    const entry = provenance.files[0] as ProvenanceEntry;
    const bytes = new TextEncoder().encode('hello\n');
    const next = refreshedEntry({ ...entry, ref: '9.9.9', url: 'https://example.com/old' }, bytes);
    expect(next).toMatchObject({ bytes: 6, gitBlob: 'ce013625030ba8dba906f756967f9e9ca394464a', ref: '9.9.9', license: entry.license });
    expect(next.url).toBe(rawGitHubUrl(entry.repository, '9.9.9', entry.path));
    expect(provenanceMismatches(next, bytes)).toEqual([]);
  });
});
