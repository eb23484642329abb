import { describe, expect, it } from 'vitest';
import { PodIpPool, nodePlan, podClassCidr } from './addressing.ts';

describe('pod address classes', () => {
  const node = nodePlan(1, 'lab-worker');

  it('gives sidecar pods the upper half of the pod CIDR and other pods the lower half', () => {
    const pool = new PodIpPool(node);
    expect([pool.allocate('plain'), pool.allocate('mesh'), pool.allocate('plain'), pool.allocate('mesh')]).toEqual([
      '10.244.1.2',
      '10.244.1.128',
      '10.244.1.3',
      '10.244.1.129',
    ]);
    expect(podClassCidr(node, 'mesh')).toBe('10.244.1.128/25');
    expect(podClassCidr(node, 'plain')).toBe('10.244.1.0/25');
  });

  it('reuses a freed address only within its class, and names the class when one is full', () => {
    const pool = new PodIpPool(node);
    const mesh = Array.from({ length: 127 }, () => pool.allocate('mesh'));
    expect(mesh.at(-1)).toBe('10.244.1.254');
    expect(() => pool.allocate('mesh')).toThrow('10.244.1.128/25 (mesh pods) of lab-worker is full');
    pool.release('10.244.1.130');
    pool.release('10.244.1.5');
    expect(pool.allocate('mesh')).toBe('10.244.1.130');
    expect(pool.allocate('plain')).toBe('10.244.1.2');
  });
});
