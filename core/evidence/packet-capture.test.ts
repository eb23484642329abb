import { describe, expect, it } from 'vitest';
import type { BlockingLayer } from '../domain/layer.ts';
import { captureEvidence, parseCaptureReport, victimPorts } from './packet-capture.ts';

const API = '10.244.1.6';
const VICTIM = '10.244.1.9';
const OTHER = '172.18.0.3';
const layers = (...names: BlockingLayer[]): ReadonlySet<BlockingLayer> => new Set(names);

describe('packet-capture reports', () => {
  it('parses the script fields and refuses malformed ones', () => {
    expect(parseCaptureReport({ packets: 12, canary_seen: 1, flows: `${VICTIM}>${API}.8080` })).toEqual({ packets: 12, canarySeen: true, flows: [`${VICTIM}>${API}.8080`], dropped: 0 });
    expect(parseCaptureReport({ packets: 0, canary_seen: 0, flows: '', dropped: 3 })).toEqual({ packets: 0, canarySeen: false, flows: [], dropped: 3 });
    expect(parseCaptureReport({ packets: 0, canary_seen: 0, dropped: 'many' })).toBeUndefined();
    expect(parseCaptureReport({ packets: '12', canary_seen: 1 })).toBeUndefined();
    expect(parseCaptureReport({ packets: 12, canary_seen: 2 })).toBeUndefined();
    expect(parseCaptureReport({})).toBeUndefined();
  });

  it("reads the captured host's ports of the victim's flows only", () => {
    const report = { packets: 9, canarySeen: false, dropped: 0, flows: [`${OTHER}>${API}.8080`, `${VICTIM}>${API}.15008`, `${VICTIM}>${API}.8080`, `${VICTIM}>10.244.1.60.80`] };
    expect(victimPorts(report, VICTIM, API)).toEqual([8080, 15008]);
    expect(victimPorts(report, '10.244.1.99', API)).toEqual([]);
  });

  it('plaintext canary: observed, matched on the canary, no layer', () => {
    const item = captureEvidence({ packets: 10, canarySeen: true, dropped: 0, flows: [`${VICTIM}>${API}.8080`] }, 'raw', VICTIM, API, 8080, layers('cni'));
    expect(item).toMatchObject({ layer: 'none', source: 'packet-capture', verdict: 'observed', matched: ['canary'] });
  });

  it('HBONE on 15008 without the canary is ztunnel; the app port without it is the sidecar — only where the stack has that layer', () => {
    const hbone = { packets: 10, canarySeen: false, dropped: 0, flows: [`${VICTIM}>${API}.15008`] };
    expect(captureEvidence(hbone, 'raw', VICTIM, API, 8080, layers('mesh-ztunnel')).layer).toBe('mesh-ztunnel');
    expect(captureEvidence(hbone, 'raw', VICTIM, API, 8080, layers('mesh-sidecar')).layer).toBe('none');
    const tls = { packets: 10, canarySeen: false, dropped: 0, flows: [`${VICTIM}>${API}.8080`] };
    expect(captureEvidence(tls, 'raw', VICTIM, API, 8080, layers('mesh-sidecar'))).toMatchObject({ layer: 'mesh-sidecar', matched: ['source-ip', 'destination-ip', 'destination-port'] });
    expect(captureEvidence(tls, 'raw', VICTIM, API, 8080, layers('cni')).layer).toBe('none');
  });

  it("packets of other flows only: no destination-port match, no layer", () => {
    const item = captureEvidence({ packets: 4, canarySeen: false, dropped: 0, flows: [`${OTHER}>${API}.8080`] }, 'raw', VICTIM, API, 8080, layers('mesh-sidecar'));
    expect(item.layer).toBe('none');
    expect(item.matched).toEqual(['source-ip', 'destination-ip']);
  });

  it('a capture the kernel dropped packets of credits no layer: the canary may have been in one of them', () => {
    const lossy = { packets: 10, canarySeen: false, dropped: 4, flows: [`${VICTIM}>${API}.8080`] };
    const item = captureEvidence(lossy, 'raw', VICTIM, API, 8080, layers('mesh-sidecar'));
    expect(item.layer).toBe('none');
    expect(item.detail).toContain('the kernel dropped 4 packets before tcpdump read them');
  });
});
