import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BadInputError } from '../../../core/domain/errors.ts';
import { loadProvenance } from '../../../manifests/contract/upstream-fixtures.ts';
import { GATEWAY_API_MANIFESTS_DIR } from './gateway-api-bundle.ts';
import { GATEWAY_API_REFRESH_USAGE, filesToVendor, gitHubApiUrls, parseGatewayApiRefreshArgs, vendoredEntry } from './gateway-api-refresh.ts';

describe('refresh-gateway-api (no network here: arguments, URLs and the records it writes)', () => {
  it('parses --version, --write and --help; refuses a missing or malformed version and anything else', () => {
    expect(parseGatewayApiRefreshArgs(['--version', 'v1.6.1'])).toEqual({ help: false, write: false, version: 'v1.6.1' });
    expect(parseGatewayApiRefreshArgs(['--version', 'v1.6.1', '--write'])).toEqual({ help: false, write: true, version: 'v1.6.1' });
    expect(parseGatewayApiRefreshArgs(['-h']).help).toBe(true);
    expect(() => parseGatewayApiRefreshArgs([])).toThrow(/--version is required/);
    expect(() => parseGatewayApiRefreshArgs(['--version', '1.6.1'])).toThrow(BadInputError);
    expect(() => parseGatewayApiRefreshArgs(['--version', 'v1.6.1', 'extra'])).toThrow(BadInputError);
    expect(() => parseGatewayApiRefreshArgs(['--force'])).toThrow(BadInputError);
    expect(GATEWAY_API_REFRESH_USAGE).toContain('https://raw.githubusercontent.com/kubernetes-sigs/gateway-api/<vX.Y.Z>/<path>');
  });

  it('asks the GitHub API for the tag commit and the file listings at the tag', () => {
    expect(gitHubApiUrls('v1.6.1')).toEqual({
      commit: 'https://api.github.com/repos/kubernetes-sigs/gateway-api/commits/v1.6.1',
      standardDir: 'https://api.github.com/repos/kubernetes-sigs/gateway-api/contents/config/crd/standard?ref=v1.6.1',
      header: 'https://api.github.com/repos/kubernetes-sigs/gateway-api/contents/hack/boilerplate/boilerplate.sh.txt?ref=v1.6.1',
    });
  });

  it('vendors the header, then only config/crd/standard/gateway*.yaml in name order', () => {
    const header = { path: 'hack/boilerplate/boilerplate.sh.txt', sha: 'h' };
    const listing = [
      { path: 'config/crd/standard/gateway.networking.k8s.io_vap_safeupgrades.yaml', sha: 'v' },
      { path: 'config/crd/standard/kustomization.yaml', sha: 'k' },
      { path: 'config/crd/standard/gateway.networking.k8s.io_gateways.yaml', sha: 'g' },
    ];
    expect(filesToVendor(header, listing).map((file) => file.sha)).toEqual(['h', 'g', 'v']);
    expect(() => filesToVendor(header, [listing[1] as (typeof listing)[number]])).toThrow(/release layout changed/);
  });

  it.each([['v1.5.0'], ['v1.6.1']])('the records it writes for the %s files are exactly the vendored provenance.json', (version) => {
    const provenance = loadProvenance(join(GATEWAY_API_MANIFESTS_DIR, version, 'provenance.json'));
    for (const entry of provenance.files) {
      const bytes = readFileSync(join(GATEWAY_API_MANIFESTS_DIR, version, entry.file));
      expect(vendoredEntry(version, entry.commit, entry.path, bytes)).toEqual(entry);
    }
  });
});
