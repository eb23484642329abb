import { describe, expect, it } from 'vitest';
import { depthOf, groupLayers, type DepthLayer } from './depth.ts';

const pass = (policies: DepthLayer['policies'], outcome: DepthLayer['outcome'], blockedBy?: DepthLayer['blockedBy']): DepthLayer => ({
  policies,
  layer: policies,
  outcome,
  ...(blockedBy ? { blockedBy } : {}),
  evidence: [],
  stops: outcome === 'blocked' && blockedBy !== undefined && groupLayers(policies, 'istio-sidecar').includes(blockedBy),
});

describe('depthOf', () => {
  it('counts the groups that stop the attempt on their own: 2, 1 (a single point of failure), 0', () => {
    expect(depthOf([pass('cni', 'blocked', 'cni'), pass('mesh', 'blocked', 'mesh-sidecar')])).toMatchObject({ count: 2 });
    expect(depthOf([pass('cni', 'blocked', 'cni'), pass('mesh', 'allowed')])).toMatchObject({ count: 1 });
    expect(depthOf([pass('cni', 'allowed'), pass('mesh', 'allowed')])).toMatchObject({ count: 0 });
  });

  it('gives no count when a pass did not measure its group (inconclusive, error, or stopped by another layer first)', () => {
    const inconclusive = depthOf([pass('cni', 'blocked', 'cni'), pass('mesh', 'inconclusive')]);
    expect(inconclusive.count).toBeUndefined();
    expect(inconclusive).toMatchObject({ atLeast: 1, incomplete: 'mesh-only pass inconclusive' });
    const admission = depthOf([pass('cni', 'blocked', 'admission'), pass('mesh', 'blocked', 'admission')]);
    expect(admission.count).toBeUndefined();
    expect(admission.incomplete).toBe('cni-only pass blocked by admission before the cni policies were tested; mesh-only pass blocked by admission before the mesh policies were tested');
  });

  it('credits the mesh group with ztunnel or the waypoint on ambient, the sidecar otherwise', () => {
    expect(groupLayers('mesh', 'istio-ambient')).toEqual(['mesh-ztunnel', 'mesh-waypoint']);
    expect(groupLayers('mesh', 'istio-sidecar')).toEqual(['mesh-sidecar']);
    expect(groupLayers('cni', 'istio-ambient')).toEqual(['cni']);
  });
});
