import { describe, expect, it } from 'vitest';
import { attributeCapture } from './attribution.ts';
import type { EvidenceItem } from './evidence.ts';

const plaintext: EvidenceItem = { layer: 'none', source: 'packet-capture', verdict: 'observed', raw: '{}', matched: ['canary'] };
const sidecarTls: EvidenceItem = { layer: 'mesh-sidecar', source: 'packet-capture', verdict: 'observed', raw: '{}', matched: ['source-ip', 'destination-ip', 'destination-port'] };
const otherFlows: EvidenceItem = { layer: 'none', source: 'packet-capture', verdict: 'observed', raw: '{}', matched: ['source-ip', 'destination-ip'] };
const base = { controlPassed: true, signal: 'delivered' as const, detail: '', victimPassed: true };

describe('attributeCapture (eavesdropping)', () => {
  it('the canary in plaintext is allowed, whatever the control', () => {
    expect(attributeCapture({ ...base, controlPassed: false, capture: plaintext })).toEqual({ outcome: 'allowed' });
  });

  it('ciphertext of the victim flow with a passing control and a working victim: blocked by the encrypting layer, confirmed', () => {
    expect(attributeCapture({ ...base, capture: sidecarTls })).toEqual({ outcome: 'blocked', blockedBy: 'mesh-sidecar', confidence: 'confirmed' });
  });

  it('never blocked without the control, the victim, the flow in the capture, or a layer that explains it', () => {
    expect(attributeCapture({ ...base, controlPassed: false, capture: sidecarTls }).outcome).toBe('inconclusive');
    expect(attributeCapture({ ...base, victimPassed: false, capture: sidecarTls }).outcome).toBe('inconclusive');
    expect(attributeCapture({ ...base, capture: otherFlows }).outcome).toBe('inconclusive');
    expect(attributeCapture({ ...base, capture: { ...sidecarTls, layer: 'none' } }).outcome).toBe('inconclusive');
  });

  it('a failed script or a missing report is an error; a missing privilege is inconclusive', () => {
    expect(attributeCapture({ ...base, signal: 'error', capture: sidecarTls }).outcome).toBe('error');
    expect(attributeCapture({ ...base, capture: undefined }).outcome).toBe('error');
    // A victim that never ran (refused, no address) leaves nothing to match: inconclusive, not an error.
    expect(attributeCapture({ ...base, victimPassed: false, capture: undefined }).outcome).toBe('inconclusive');
    expect(attributeCapture({ ...base, signal: 'permission-denied', capture: sidecarTls }).outcome).toBe('inconclusive');
  });
});
