import { describe, expect, it } from 'vitest';
import { BadInputError } from '../../../core/domain/errors.ts';
import { istioObjectNotes, outboundMode } from './istio-objects.ts';
import { effectivePeerAuthentication } from './peer-authentication.ts';
import { peerAuthentication, sidecarObject } from './test-objects.ts';

/**
 * PeerAuthentication and Sidecar are parsed as strictly as AuthorizationPolicy: fields from
 * https://istio.io/latest/docs/reference/config/security/peer_authentication/ and
 * https://istio.io/latest/docs/reference/config/networking/sidecar/ the lab does not model are refused by name.
 */
describe('strict PeerAuthentication and Sidecar', () => {
  const workload = { namespace: 'bm-app', labels: { app: 'api' } };

  it('a modelled PeerAuthentication and Sidecar parse as before', () => {
    const pa = peerAuthentication('bm-app', 'api', { selector: { matchLabels: { app: 'api' } }, mtls: { mode: 'STRICT' }, portLevelMtls: { '9090': { mode: 'DISABLE' } } });
    expect(effectivePeerAuthentication([pa], workload)).toEqual({ defaultMode: 'STRICT', ports: new Map([[9090, 'DISABLE']]) });
    expect(outboundMode([sidecarObject('bm-app', 'default', { outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } })], workload)).toBe('REGISTRY_ONLY');
  });

  it.each([
    [peerAuthentication('bm-app', 'x', { mtls: { mode: 'STRICT', strict: true } }), 'PeerAuthentication bm-app/x: spec.mtls.strict: unknown field'],
    [peerAuthentication('bm-app', 'x', { selecter: {} }), 'PeerAuthentication bm-app/x: spec.selecter: unknown field'],
    [sidecarObject('bm-app', 'x', { egress: [{ hosts: ['./*'] }] }), 'Sidecar bm-app/x: spec.egress: egress listeners is not modelled by the lab sidecar'],
    [
      sidecarObject('bm-app', 'x', { outboundTrafficPolicy: { mode: 'REGISTRY_ONLY', egressProxy: { host: 'egress' } } }),
      'Sidecar bm-app/x: spec.outboundTrafficPolicy.egressProxy: outboundTrafficPolicy.egressProxy is not modelled',
    ],
  ])('refuses %#', (object, message) => {
    expect(() => istioObjectNotes([object])).toThrow(BadInputError);
    expect(() => istioObjectNotes([object])).toThrow(message);
  });
});
