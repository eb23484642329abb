import { describe, expect, it } from 'vitest';
import { BadInputError } from '../domain/errors.ts';
import type { FlowDescriptor, TimeWindow } from '../domain/evidence.ts';
import { evidenceSourcesWithParser, parseEvidence, registerEvidenceParser } from './index.ts';

const window: TimeWindow = { from: new Date('2024-07-10T08:45:31Z'), to: new Date('2024-07-10T08:45:34Z') };
const flow: FlowDescriptor = { protocol: 'tcp', sourceIp: '10.10.123.127', destinationIp: '10.10.123.120', destinationPort: 27017 };
const NR_PLAINTEXT =
  '[2024-07-10T08:45:32.932Z] "- - -" 0 NR filter_chain_not_found - "-" 0 0 0 - "-" "-" "-" "-" "-" - - 10.10.123.120:27017 10.10.123.127:36422 - -';

describe('parseEvidence', () => {
  it('routes an Envoy log to its parser with the layer the caller names', () => {
    const items = parseEvidence('envoy-access-log', NR_PLAINTEXT, { flow, window, envoyLayer: 'mesh-waypoint' });
    expect(items.map((item) => [item.layer, item.verdict])).toEqual([['mesh-waypoint', 'denied']]);
  });

  it('refuses an Envoy log without the layer, and a counter dump without its "before" dump', () => {
    expect(() => parseEvidence('envoy-access-log', NR_PLAINTEXT, { flow, window })).toThrow(BadInputError);
    expect(() => parseEvidence('calico-counter', '', { flow, window })).toThrow(/context\.before/);
  });

  it('names the sources it can parse when asked for one it cannot', () => {
    expect(() => parseEvidence('api-audit', '', { flow, window })).toThrow(
      'parseEvidence: no parser for evidence source "api-audit" (allowed: hubble, calico-log, calico-counter, envoy-access-log, ztunnel-log, admission, nft-counter)',
    );
  });

  it('takes a producer\'s parser once and refuses a second one', () => {
    registerEvidenceParser('api-audit', (raw) => (raw === '' ? [] : [{ layer: 'api', source: 'api-audit', verdict: 'denied', raw }]));
    expect(evidenceSourcesWithParser()).toContain('api-audit');
    expect(parseEvidence('api-audit', 'secrets is forbidden', { flow, window })).toHaveLength(1);
    expect(() => registerEvidenceParser('api-audit', () => [])).toThrow(BadInputError);
  });
});
