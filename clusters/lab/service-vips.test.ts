import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { renderKubeProxyTable, ServiceVips } from './service-vips.ts';

describe('ServiceVips', () => {
  it('hands stable VIPs from the service range and finds the Service of a VIP', () => {
    const vips = new ServiceVips();
    expect(vips.assign('bm-app/api')).toBe('10.96.0.10');
    expect(vips.assign('bm-app/db')).toBe('10.96.0.11');
    expect(vips.assign('bm-app/api')).toBe('10.96.0.10');
    expect(vips.serviceAt('10.96.0.11')).toBe('bm-app/db');
    expect(vips.of('bm-app/frontend')).toBeUndefined();
  });
});

describe('renderKubeProxyTable', () => {
  const forwards = [
    { vip: '10.96.0.10', port: 8080, targetPort: 8080, endpoints: ['10.244.2.2'] },
    { vip: '10.96.0.10', port: 9090, targetPort: 9091, endpoints: ['10.244.1.5', '10.244.2.6'] },
    { vip: '10.96.0.11', port: 5432, targetPort: 5432, endpoints: [] },
  ];

  it('DNATs each VIP port to its endpoints in prerouting (pods) and output (the node), none without endpoints', () => {
    const text = renderKubeProxyTable(forwards);
    expect(text.match(/ip daddr 10\.96\.0\.10 tcp dport 8080 dnat to 10\.244\.2\.2:8080/g)).toHaveLength(2);
    expect(text).toContain('ip daddr 10.96.0.10 tcp dport 9090 dnat to numgen random mod 2 map { 0 : 10.244.1.5, 1 : 10.244.2.6 } : 9091');
    expect(text).not.toContain('10.96.0.11');
    expect(text.startsWith('table ip bm-kube-proxy\ndelete table ip bm-kube-proxy\n')).toBe(true);
  });

  it('is accepted by nft (check mode, in a throwaway network namespace)', async () => {
    const result = await execa('unshare', ['--net', '--', 'nft', '-c', '-f', '-'], { input: renderKubeProxyTable(forwards), reject: false });
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
  });
});
