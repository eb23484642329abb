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

/**
 * Pods with a sidecar get their addresses from the upper half of the node's pod CIDR, every other pod from the
 * lower half: a sidecar then knows which destinations speak mTLS from a fixed range, without learning each new
 * peer (see LabMesh.meshAddresses). On a real mesh istiod pushes endpoints instead; the ranges stand in for that.
 */
const HOST_RANGES = { plain: { first: 2, last: 127 }, mesh: { first: 128, last: 254 } } as const;
export type PodAddressClass = keyof typeof HOST_RANGES;

/** The CIDR of one address class on a node, e.g. `10.244.1.128/25` for sidecar pods. */
export function podClassCidr(node: LabNodePlan, addressClass: PodAddressClass): string {
  return node.podCidr.replace(/\.0\/24$/, addressClass === 'mesh' ? '.128/25' : '.0/25');
}

/** Hands out pod addresses of a node's pod CIDR per class (plain .2 – .127, mesh .128 – .254), reusing freed ones last. */
export class PodIpPool {
  private readonly next: Record<PodAddressClass, number> = { plain: HOST_RANGES.plain.first, mesh: HOST_RANGES.mesh.first };
  private readonly freed: Record<PodAddressClass, number[]> = { plain: [], mesh: [] };
  private readonly node: LabNodePlan;

  constructor(node: LabNodePlan) {
    this.node = node;
  }

  allocate(addressClass: PodAddressClass = 'plain'): string {
    const range = HOST_RANGES[addressClass];
    const host = this.next[addressClass] <= range.last ? this.next[addressClass]++ : this.freed[addressClass].shift();
    if (host === undefined) throw new RangeError(`pod CIDR ${podClassCidr(this.node, addressClass)} (${addressClass} pods) of ${this.node.name} is full`);
    return this.node.podCidr.replace(/\.0\/24$/, `.${host}`);
  }

  release(ip: string): void {
    const host = Number(ip.split('.')[3]);
    for (const [addressClass, range] of Object.entries(HOST_RANGES) as [PodAddressClass, { first: number; last: number }][]) {
      if (Number.isInteger(host) && host >= range.first && host <= range.last) this.freed[addressClass].push(host);
    }
  }
}
