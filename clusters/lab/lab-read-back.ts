import type { KubeObject } from '../../core/domain/cluster.ts';
import { AMBIENT_REDIRECTION_ANNOTATION, ISTIO_PROXY_CONTAINER } from '../../core/scene-check/mesh-enrolment.ts';
import type { LabNetworkPolicy, PolicyPeer, PolicyPort, PolicyRule } from './netpol/network-policy.ts';
import type { LabPod } from './lab-pod.ts';
import { podKey } from './lab-pod.ts';
import { objectKey, routeObject, type AcceptedObjects } from './lab-objects.ts';

/** What the lab holds about applied objects: its models, read by `labReadBack`. */
export interface LabObjectState {
  readonly accepted: AcceptedObjects;
  readonly admissionPolicy: (key: string) => boolean;
  readonly namespaceLabels: (name: string) => Readonly<Record<string, string>> | undefined;
  readonly serviceAccount: (namespace: string, name: string) => boolean;
  readonly service: (key: string) => KubeObject | undefined;
  /** Enforced policies (parsed) by key; unenforced ones are in `unmodelled`. */
  readonly policy: (key: string) => LabNetworkPolicy | undefined;
  readonly istio: (key: string) => KubeObject | undefined;
  readonly unmodelled: (key: string) => KubeObject | undefined;
  readonly pod: (key: string) => LabPod | undefined;
  readonly hasSidecar: (podKey: string) => boolean;
  readonly ambientEnrolled: (podKey: string) => boolean;
}

function peerObject(peer: PolicyPeer): Record<string, unknown> {
  return {
    ...(peer.podSelector === undefined ? {} : { podSelector: peer.podSelector }),
    ...(peer.namespaceSelector === undefined ? {} : { namespaceSelector: peer.namespaceSelector }),
    ...(peer.ipBlock === undefined ? {} : { ipBlock: { cidr: peer.ipBlock.cidr, except: [...peer.ipBlock.except] } }),
  };
}

function portObject(port: PolicyPort): Record<string, unknown> {
  return { protocol: port.protocol, ...(port.port === undefined ? {} : { port: port.port }), ...(port.endPort === undefined ? {} : { endPort: port.endPort }) };
}

function ruleObject(rule: PolicyRule, peersField: 'from' | 'to'): Record<string, unknown> {
  return {
    ...(rule.peers === 'any' ? {} : { [peersField]: rule.peers.map(peerObject) }),
    ...(rule.ports === 'any' ? {} : { ports: rule.ports.map(portObject) }),
  };
}

/** A NetworkPolicy rebuilt from the lab's parsed model: a field the parser dropped shows up as missing. */
function networkPolicyObject(policy: LabNetworkPolicy, metadata: KubeObject['metadata']): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { ...metadata, name: policy.name, namespace: policy.namespace },
    spec: {
      podSelector: policy.podSelector,
      policyTypes: [...(policy.ingress === undefined ? [] : ['Ingress']), ...(policy.egress === undefined ? [] : ['Egress'])],
      ...(policy.ingress === undefined ? {} : { ingress: policy.ingress.map((rule) => ruleObject(rule, 'from')) }),
      ...(policy.egress === undefined ? {} : { egress: policy.egress.map((rule) => ruleObject(rule, 'to')) }),
    },
  };
}

/**
 * A running pod as the lab runs it: the spec it started from, with its mesh enrolment written the way the API
 * server would show it — the lab's sidecar as an `istio-proxy` native sidecar, ambient redirection as Istio's
 * annotation — so the self-test reads enrolment the same way on every provider.
 */
function podObject(pod: LabPod, sidecar: boolean, ambient: boolean): KubeObject {
  const spec = structuredClone(pod.spec);
  const metadata = spec.metadata ?? {};
  const annotations = { ...(metadata.annotations ?? {}), ...(ambient ? { [AMBIENT_REDIRECTION_ANNOTATION]: 'enabled' } : {}) };
  const initContainers = [...(spec.spec?.initContainers ?? []), ...(sidecar ? [{ name: ISTIO_PROXY_CONTAINER, image: 'lab-sidecar', restartPolicy: 'Always' }] : [])];
  return {
    ...spec,
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { ...metadata, name: pod.name, namespace: pod.namespace, annotations },
    spec: { containers: [], ...spec.spec, ...(initContainers.length > 0 ? { initContainers } : {}) },
  } as KubeObject;
}

/** The lab's live form of each object, or undefined where the lab holds none (never accepted, deleted, refused). */
export function labReadBack(state: LabObjectState, objects: readonly KubeObject[]): (KubeObject | undefined)[] {
  return objects.map((object) => {
    const key = objectKey(object);
    const accepted = state.accepted.get(object);
    const { name, namespace = '' } = object.metadata;
    switch (routeObject(object)) {
      case 'namespace': {
        const labels = state.namespaceLabels(name);
        return labels === undefined ? undefined : { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { ...labels } } };
      }
      case 'service-account':
        return state.serviceAccount(namespace, name) && accepted !== undefined ? { apiVersion: 'v1', kind: 'ServiceAccount', metadata: accepted.metadata } : undefined;
      case 'service':
        return state.service(key);
      case 'network-policy': {
        const policy = state.policy(key);
        if (policy !== undefined && accepted !== undefined) return networkPolicyObject(policy, accepted.metadata);
        return state.unmodelled(key);
      }
      case 'istio':
        return state.istio(key) ?? state.unmodelled(key);
      case 'pod': {
        const pod = state.pod(podKey(namespace, name));
        if (pod === undefined || pod.deleted) return undefined;
        return podObject(pod, state.hasSidecar(pod.key), state.ambientEnrolled(pod.key));
      }
      case 'admission-policy':
        // Stored as applied (the evaluator parsed it strictly, or apply refused it).
        return state.admissionPolicy(key) ? accepted : undefined;
      case 'not-modelled':
        return state.unmodelled(key);
    }
  });
}
