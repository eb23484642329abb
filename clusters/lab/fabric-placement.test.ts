import { describe, expect, it } from 'vitest';
import { BadInputError } from '../../core/domain/errors.ts';
import { pod } from '../../manifests/pod-builder.ts';
import { NODE_NETWORK_PLACEMENT } from '../../manifests/node-network-placement.ts';
import { onFabric } from './fabric-placement.ts';

describe('node-network placement on the lab', () => {
  it('places annotated hostNetwork pods on the fabric, others on their node', () => {
    expect(onFabric(pod('sniffer', 'bm-privileged').hostNetwork().annotate(NODE_NETWORK_PLACEMENT.key, NODE_NETWORK_PLACEMENT.value).build())).toBe(true);
    expect(onFabric(pod('sniffer', 'bm-privileged').hostNetwork().build())).toBe(false);
  });

  it('refuses the annotation without hostNetwork, or with another value', () => {
    expect(() => onFabric(pod('sniffer', 'bm-privileged').annotate(NODE_NETWORK_PLACEMENT.key, NODE_NETWORK_PLACEMENT.value).build())).toThrow(BadInputError);
    expect(() => onFabric(pod('sniffer', 'bm-privileged').hostNetwork().annotate(NODE_NETWORK_PLACEMENT.key, 'router').build())).toThrow(/unknown placement "router"/);
  });
});
