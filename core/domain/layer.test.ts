import { describe, expect, it } from 'vitest';
import { firstOnPath, isLayer, LAYER_PATH_ORDER, LAYERS } from './layer.ts';

describe('firstOnPath', () => {
  it('credits admission before everything and the CNI before any mesh layer', () => {
    expect(firstOnPath(['mesh-sidecar', 'admission', 'cni'])).toBe('admission');
    expect(firstOnPath(['mesh-waypoint', 'mesh-sidecar', 'cni'])).toBe('cni');
    expect(firstOnPath(['mesh-waypoint', 'mesh-ztunnel'])).toBe('mesh-ztunnel');
    expect(firstOnPath(['mesh-waypoint', 'mesh-sidecar'])).toBe('mesh-sidecar');
  });

  it('ignores duplicates and returns undefined for nothing', () => {
    expect(firstOnPath(['mesh-sidecar', 'mesh-sidecar'])).toBe('mesh-sidecar');
    expect(firstOnPath([])).toBeUndefined();
  });

  it('orders every blocking layer exactly once', () => {
    expect([...LAYER_PATH_ORDER].sort()).toEqual(LAYERS.filter((layer) => layer !== 'none').sort());
  });
});

describe('isLayer', () => {
  it('accepts the layers and refuses anything else', () => {
    expect(isLayer('mesh-ztunnel')).toBe(true);
    expect(isLayer('none')).toBe(true);
    expect(isLayer('calico')).toBe(false);
  });
});
