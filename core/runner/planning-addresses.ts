import type { SceneAddresses } from '../domain/scene-addresses.ts';
import { SCENE } from '../../manifests/scene.ts';
import { sceneSinkAddress } from '../../manifests/scene/sink-address.ts';

/**
 * Stand-in addresses for `breachmatrix plan`, which renders attacker pods before any cluster exists. They are
 * documentation ranges (RFC 5737), so a rendered plan can never be mistaken for a live address.
 */
export const PLANNING_ADDRESSES: SceneAddresses = {
  sink: sceneSinkAddress('198.51.100.10'),
  metadata: SCENE.metadata,
  nodes: [
    { name: 'worker', ip: '192.0.2.11' },
    { name: 'worker2', ip: '192.0.2.12' },
  ],
  apiServer: { host: '192.0.2.10', port: 6443 },
  workloads: {
    'bm-app/frontend': { podIp: '192.0.2.101', node: 'worker' },
    'bm-app/api': { podIp: '192.0.2.102', node: 'worker2' },
    'bm-app/db': { podIp: '192.0.2.103', node: 'worker' },
  },
  apiNodePort: 30080,
};
