import type { AttemptContext } from '../../../core/domain/attack.ts';

/**
 * A scene's addresses for catalogue tests: the sink, three nodes and the three workloads, as a kind cluster would
 * report them. `apiServer` defaults to the in-cluster Service address; tests that need the node's port override it.
 */
export function testAddresses(overrides: Partial<AttemptContext['addresses']> = {}): AttemptContext['addresses'] {
  return {
    sink: { ip: '198.51.100.10', httpPort: 8080, tcpPort: 9000, udpPort: 9001, dnsPort: 53, dnsZone: 'exfil.test' },
    metadata: { ip: '169.254.169.254', port: 80 },
    nodes: [
      { name: 'bm-control-plane', ip: '172.18.0.2' },
      { name: 'bm-worker', ip: '172.18.0.3' },
      { name: 'bm-worker2', ip: '172.18.0.4' },
    ],
    apiServer: { host: '10.96.0.1', port: 443 },
    workloads: {
      'bm-app/frontend': { podIp: '10.244.1.5', node: 'bm-worker' },
      'bm-app/api': { podIp: '10.244.1.6', node: 'bm-worker' },
      'bm-app/db': { podIp: '10.244.2.7', node: 'bm-worker2' },
    },
    apiNodePort: 30080,
    ...overrides,
  };
}
