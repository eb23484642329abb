import { describe, expect, it } from 'vitest';
import type { FlowDescriptor, TimeWindow } from '../domain/evidence.ts';
import { CLOCK_SKEW_MS, matchFlow, matchesFlow, namesMatch, parseTimestamp, splitAddress } from './match-flow.ts';

const window: TimeWindow = { from: new Date('2025-03-14T08:38:10.000Z'), to: new Date('2025-03-14T08:38:14.000Z') };
const flow: FlowDescriptor = {
  protocol: 'tcp',
  sourceIp: '10.244.1.6',
  sourcePod: 'intruder',
  sourceNamespace: 'bm-app',
  destinationIp: '10.244.1.9',
  destinationPort: 5432,
  destinationName: 'db',
  canary: 'bm-7f3a',
};
const inWindow = new Date('2025-03-14T08:38:11.000Z');

describe('parseTimestamp', () => {
  it('reads RFC 3339 with nano, micro and milli fractions and offsets', () => {
    expect(parseTimestamp('2025-07-15T01:32:14.234858520Z')?.toISOString()).toBe('2025-07-15T01:32:14.234Z');
    expect(parseTimestamp('2025-03-14T08:38:10.194689Z')?.toISOString()).toBe('2025-03-14T08:38:10.194Z');
    expect(parseTimestamp('2020-10-29T03:22:16.126Z')?.toISOString()).toBe('2020-10-29T03:22:16.126Z');
    expect(parseTimestamp('2024-01-02T10:00:00+0100')?.toISOString()).toBe('2024-01-02T09:00:00.000Z');
  });

  it('reads a syslog time in the year nearest the reference, as UTC', () => {
    const reference = new Date('2025-01-01T00:00:05Z');
    expect(parseTimestamp('Dec 31 23:59:58', reference)?.toISOString()).toBe('2024-12-31T23:59:58.000Z');
    expect(parseTimestamp('Jan  1 00:00:03', reference)?.toISOString()).toBe('2025-01-01T00:00:03.000Z');
  });

  it('returns undefined for what is not a time', () => {
    expect(parseTimestamp('[1033918.821626]')).toBeUndefined();
    expect(parseTimestamp('yesterday')).toBeUndefined();
  });
});

describe('splitAddress and namesMatch', () => {
  it('splits ip:port, bare ips and bracketed IPv6, and refuses placeholders', () => {
    expect(splitAddress('10.244.1.6:42020')).toEqual({ ip: '10.244.1.6', port: 42020 });
    expect(splitAddress('10.96.0.10')).toEqual({ ip: '10.96.0.10' });
    expect(splitAddress('[fd00::5]:8080')).toEqual({ ip: 'fd00::5', port: 8080 });
    expect(splitAddress('-')).toBeUndefined();
    expect(splitAddress('inbound|8000||')).toBeUndefined();
  });

  it('matches a short name to its FQDN with or without port, not a different name', () => {
    expect(namesMatch('api', 'api.bm-app.svc.cluster.local:8080')).toBe(true);
    expect(namesMatch('bm-7f3a.exfil.test.', 'bm-7f3a.exfil.test')).toBe(true);
    expect(namesMatch('api', 'apis.example.com')).toBe(false);
    expect(namesMatch('-', 'api')).toBe(false);
  });
});

describe('matchesFlow', () => {
  it('matches on source and destination inside the window', () => {
    const record = { at: inWindow, protocol: 'tcp' as const, sourceIp: '10.244.1.6', destinationIp: '10.244.1.9', destinationPort: 5432 };
    expect(matchesFlow(record, flow, window)).toBe(true);
  });

  it('allows the clock skew at both ends and nothing past it', () => {
    const base = { sourceIp: '10.244.1.6' };
    expect(matchesFlow({ ...base, at: new Date(window.from.getTime() - CLOCK_SKEW_MS) }, flow, window)).toBe(true);
    expect(matchesFlow({ ...base, at: new Date(window.to.getTime() + CLOCK_SKEW_MS) }, flow, window)).toBe(true);
    expect(matchesFlow({ ...base, at: new Date(window.from.getTime() - CLOCK_SKEW_MS - 1) }, flow, window)).toBe(false);
    expect(matchesFlow({ ...base, at: new Date(window.to.getTime() + CLOCK_SKEW_MS + 1) }, flow, window)).toBe(false);
  });

  it('refuses any contradiction: source, pod, namespace, port, protocol', () => {
    const good = { at: inWindow, sourceIp: '10.244.1.6', destinationIp: '10.244.1.9' };
    expect(matchesFlow({ ...good, sourceIp: '10.244.1.7' }, flow, window)).toBe(false);
    expect(matchesFlow({ ...good, sourcePod: 'frontend' }, flow, window)).toBe(false);
    expect(matchesFlow({ ...good, sourceNamespace: 'bm-rogue' }, flow, window)).toBe(false);
    expect(matchesFlow({ ...good, destinationPort: 8080 }, flow, window)).toBe(false);
    expect(matchesFlow({ ...good, protocol: 'udp' }, flow, window)).toBe(false);
  });

  it('lets a destination name stand in for a service ip the record shows as a pod ip', () => {
    const viaService: FlowDescriptor = { protocol: 'http', sourceIp: '10.244.1.6', destinationIp: '10.96.40.1', destinationName: 'api', destinationPort: 8080 };
    expect(matchesFlow({ sourceIp: '10.244.1.6', destinationIp: '10.244.2.3', destinationNames: ['api.bm-app.svc.cluster.local'] }, viaService, window)).toBe(true);
    expect(matchesFlow({ sourceIp: '10.244.1.6', destinationIp: '10.244.2.3', destinationNames: ['db.bm-app.svc.cluster.local'] }, viaService, window)).toBe(false);
  });

  it('never credits a record on the destination alone: another attempt to the same destination is not this one', () => {
    const mine: FlowDescriptor = { protocol: 'tcp', sourceIp: '10.244.1.6', destinationIp: '10.244.2.3', destinationPort: 8080 };
    // Everything the record says agrees with the flow, but nothing in it is this attempt's own.
    expect(matchFlow({ at: inWindow, protocol: 'tcp', destinationIp: '10.244.2.3', destinationPort: 8080 }, mine, window)).toBeUndefined();
    expect(matchFlow({ at: inWindow, destinationNames: ['api'] }, { ...mine, destinationName: 'api' }, window)).toBeUndefined();
  });

  it('says which fields matched', () => {
    const mine: FlowDescriptor = { protocol: 'tcp', sourceIp: '10.244.1.6', sourcePod: 'p', destinationIp: '10.244.2.3', destinationPort: 8080 };
    expect(matchFlow({ at: inWindow, protocol: 'tcp', sourceIp: '10.244.1.6', destinationIp: '10.244.2.3', destinationPort: 8080 }, mine, window)).toEqual([
      'window',
      'protocol',
      'source-ip',
      'destination-ip',
      'destination-port',
    ]);
    expect(matchFlow({ texts: ['/x?c=bm-7f3a'] }, { protocol: 'http', canary: 'bm-7f3a' }, window)).toEqual(['canary']);
  });

  it('needs an anchor: a record sharing only the port is not this flow', () => {
    expect(matchesFlow({ at: inWindow, destinationPort: 5432 }, flow, window)).toBe(false);
  });

  it('takes the canary as an anchor and an L7 record without it as another request', () => {
    const egress: FlowDescriptor = { protocol: 'http', canary: 'bm-7f3a' };
    expect(matchesFlow({ texts: ['/x?c=bm-7f3a'] }, egress, window)).toBe(true);
    expect(matchesFlow({ texts: ['/x?c=bm-0000'], sourceIp: '10.244.1.6' }, { ...egress, sourceIp: '10.244.1.6' }, window)).toBe(false);
  });
});
