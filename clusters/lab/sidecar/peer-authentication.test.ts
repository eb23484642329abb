import { describe, expect, it } from 'vitest';
import { BadInputError } from '../../../core/domain/errors.ts';
import { effectivePeerAuthentication, inboundAdmission, modeForPort } from './peer-authentication.ts';
import { MESH_STRICT, peerAuthentication } from './test-objects.ts';

const api = { namespace: 'bm-app', labels: { app: 'api' } };

describe('PeerAuthentication precedence', () => {
  it('defaults to PERMISSIVE with no policy', () => {
    const effective = effectivePeerAuthentication([], api);
    expect(effective.defaultMode).toBe('PERMISSIVE');
    expect(inboundAdmission(effective, 8080, false)).toBe('plaintext');
    expect(inboundAdmission(effective, 8080, true)).toBe('terminate-mtls');
  });

  it('mesh-wide STRICT refuses plaintext with filter_chain_not_found', () => {
    const effective = effectivePeerAuthentication([MESH_STRICT], api);
    expect(inboundAdmission(effective, 8080, false)).toBe('filter_chain_not_found');
    expect(inboundAdmission(effective, 8080, true)).toBe('terminate-mtls');
  });

  it('namespace overrides mesh, workload overrides namespace, UNSET inherits, port level wins', () => {
    const objects = [
      MESH_STRICT,
      peerAuthentication('bm-app', 'ns', { mtls: { mode: 'PERMISSIVE' } }),
      peerAuthentication('bm-app', 'api', {
        selector: { matchLabels: { app: 'api' } },
        mtls: { mode: 'UNSET' },
        portLevelMtls: { '9090': { mode: 'DISABLE' }, '8080': { mode: 'STRICT' } },
      }),
      peerAuthentication('other', 'ns', { mtls: { mode: 'DISABLE' } }),
    ];
    const effective = effectivePeerAuthentication(objects, api);
    expect(effective.defaultMode).toBe('PERMISSIVE');
    expect(modeForPort(effective, 8080)).toBe('STRICT');
    expect(modeForPort(effective, 9090)).toBe('DISABLE');
    expect(inboundAdmission(effective, 9090, true)).toBe('plaintext');
    expect(modeForPort(effective, 5432)).toBe('PERMISSIVE');
    // The selector does not pick db: it gets the namespace's PERMISSIVE and no port overrides.
    const db = effectivePeerAuthentication(objects, { namespace: 'bm-app', labels: { app: 'db' } });
    expect(modeForPort(db, 8080)).toBe('PERMISSIVE');
  });

  it('rejects an unknown mode naming the object', () => {
    expect(() =>
      effectivePeerAuthentication([peerAuthentication('bm-app', 'x', { mtls: { mode: 'STRICTEST' } })], api),
    ).toThrow(BadInputError);
  });
});
