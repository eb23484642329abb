import type { KubeObject } from '../../core/domain/cluster.ts';
import { asKubeObject, managedLabels } from '../kube-object.ts';
import { SCENE } from '../scene.ts';
import type {
  LabelSelector,
  NetworkPolicy,
  NetworkPolicyEgressRule,
  NetworkPolicyIngressRule,
  NetworkPolicyPeer,
  NetworkPolicyPort,
  PolicyType,
} from './network-policy-types.ts';

export function tcp(port: number): NetworkPolicyPort {
  return { protocol: 'TCP', port };
}

export function udp(port: number): NetworkPolicyPort {
  return { protocol: 'UDP', port };
}

/** Pods of this namespace with `app=<name>`. */
export function app(name: string): LabelSelector {
  return { matchLabels: { [SCENE.appLabel]: name } };
}

export function podsIn(namespace: string, pods: LabelSelector): NetworkPolicyPeer {
  return { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } }, podSelector: pods };
}

export function samePods(pods: LabelSelector): NetworkPolicyPeer {
  return { podSelector: pods };
}

export function cidr(block: string): NetworkPolicyPeer {
  return { ipBlock: { cidr: block } };
}

/**
 * A fluent builder for one NetworkPolicy: the selected pods, then allow rules. Policy types follow the rules
 * added, unless `denyAll()` declares both directions with no rule (the default deny).
 */
export class NetworkPolicyBuilder {
  private readonly name: string;
  private readonly namespace: string;
  private podSelector: LabelSelector = {};
  private readonly ingress: NetworkPolicyIngressRule[] = [];
  private readonly egress: NetworkPolicyEgressRule[] = [];
  private readonly types = new Set<PolicyType>();

  constructor(name: string, namespace: string) {
    this.name = name;
    this.namespace = namespace;
  }

  selecting(pods: LabelSelector): this {
    this.podSelector = pods;
    return this;
  }

  denyAll(): this {
    this.types.add('Ingress');
    this.types.add('Egress');
    return this;
  }

  allowIngress(from: readonly NetworkPolicyPeer[], ports: readonly NetworkPolicyPort[] = []): this {
    this.types.add('Ingress');
    this.ingress.push({ from: [...from], ...(ports.length > 0 ? { ports: [...ports] } : {}) });
    return this;
  }

  allowEgress(to: readonly NetworkPolicyPeer[], ports: readonly NetworkPolicyPort[] = []): this {
    this.types.add('Egress');
    this.egress.push({ to: [...to], ...(ports.length > 0 ? { ports: [...ports] } : {}) });
    return this;
  }

  build(): KubeObject {
    const policy: NetworkPolicy = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: this.name, namespace: this.namespace, labels: managedLabels() },
      spec: {
        podSelector: this.podSelector,
        policyTypes: (['Ingress', 'Egress'] as const).filter((type) => this.types.has(type)),
        ...(this.ingress.length > 0 ? { ingress: this.ingress } : {}),
        ...(this.egress.length > 0 ? { egress: this.egress } : {}),
      },
    };
    return asKubeObject(policy);
  }
}

export function networkPolicy(name: string, namespace: string): NetworkPolicyBuilder {
  return new NetworkPolicyBuilder(name, namespace);
}
