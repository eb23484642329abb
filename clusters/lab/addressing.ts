import { SCENE } from '../../manifests/scene.ts';

/**
 * The lab's address plan. Each lab has its own isolated namespaces, so two labs may reuse the same addresses.
 * Nodes sit on a kind-like underlay; pods get /32s from their node's pod CIDR and reach the node through a
 * gateway address that every node-side veth carries (Calico style: the node routes, no bridge).
 * The internet is TEST-NET-2 (documentation range, never real); the metadata endpoint is link-local.
 */
export const LAB_ADDRESSES = {
  underlayGateway: '172.18.0.1',
  underlayPrefix: 16,
  internetGateway: '198.51.100.1',
  internetPrefix: 24,
  sinkIp: '198.51.100.10',
  metadataIp: SCENE.metadata.ip,
  apiServerPort: 6443,
} as const;

export const LAB_NODE_NAMES = ['lab-control-plane', 'lab-worker', 'lab-worker2'] as const;

export interface LabNodePlan {
  readonly index: number;
  readonly name: string;
  readonly ip: string;
  readonly podCidr: string;
  /** Address every node-side pod veth carries; the pods' default gateway. */
  readonly podGateway: string;
}

export function nodePlan(index: number, name: string): LabNodePlan {
  return {
    index,
    name,
    ip: `172.18.0.${index + 2}`,
    podCidr: `10.244.${index}.0/24`,
    podGateway: `10.244.${index}.1`,
  };
}

/** Node plans: a control plane (hosts kube-dns and the API address) and `workers` workers. */
export function labNodes(workers: number): readonly LabNodePlan[] {
  const count = Math.min(Math.max(workers, 1), LAB_NODE_NAMES.length - 1) + 1;
  return LAB_NODE_NAMES.slice(0, count).map((name, index) => nodePlan(index, name));
}

/** Hands out pod addresses .2 – .254 of a node's pod CIDR, reusing freed ones last. */
export class PodIpPool {
  private next = 2;
  private readonly freed: number[] = [];
  private readonly node: LabNodePlan;

  constructor(node: LabNodePlan) {
    this.node = node;
  }

  allocate(): string {
    const host = this.next <= 254 ? this.next++ : this.freed.shift();
    if (host === undefined) throw new RangeError(`pod CIDR ${this.node.podCidr} of ${this.node.name} is full`);
    return this.node.podCidr.replace(/\.0\/24$/, `.${host}`);
  }

  release(ip: string): void {
    const host = Number(ip.split('.')[3]);
    if (Number.isInteger(host) && host >= 2 && host <= 254) this.freed.push(host);
  }
}
