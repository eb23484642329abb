import { describe, expect, it } from 'vitest';
import { dnsRecords, podResolvConf } from './dns-records.ts';

describe('dnsRecords', () => {
  const pods = [
    { namespace: 'bm-app', labels: { app: 'api' }, ip: '10.244.1.3', hostNetwork: false },
    { namespace: 'bm-app', labels: { app: 'api' }, ip: '10.244.2.3', hostNetwork: false },
    { namespace: 'bm-rogue', labels: { app: 'api' }, ip: '10.244.2.9', hostNetwork: false },
  ];

  it('maps a service to the IPs of the pods it selects in its own namespace', () => {
    const records = dnsRecords([{ namespace: 'bm-app', name: 'api', selector: { app: 'api' } }], pods);
    expect(records).toEqual({ 'api.bm-app.svc.cluster.local': ['10.244.1.3', '10.244.2.3'] });
  });

  it('keeps a service that selects nothing as an existing name without addresses', () => {
    const records = dnsRecords([{ namespace: 'bm-app', name: 'db', selector: { app: 'db' } }], pods);
    expect(records['db.bm-app.svc.cluster.local']).toEqual([]);
  });
});

describe('podResolvConf', () => {
  it('searches the namespace first', () => {
    expect(podResolvConf('bm-app', '10.244.0.2')).toContain('search bm-app.svc.cluster.local svc.cluster.local cluster.local');
  });
});
