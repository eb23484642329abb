import type { KubeObject } from '../../core/domain/cluster.ts';
import { BadInputError } from '../../core/domain/errors.ts';

/** What the lab does with an applied object. */
export type ObjectRoute =
  | 'namespace'
  | 'service-account'
  | 'pod'
  | 'service'
  | 'network-policy'
  | 'istio'
  /** ValidatingAdmissionPolicy, its binding and the ConfigMaps params name (core/admission/). */
  | 'admission-policy'
  | 'not-modelled';

export function routeObject(object: KubeObject): ObjectRoute {
  const { apiVersion, kind } = object;
  if (apiVersion === 'v1' && kind === 'Namespace') return 'namespace';
  if (apiVersion === 'v1' && kind === 'ServiceAccount') return 'service-account';
  if (apiVersion === 'v1' && kind === 'Pod') return 'pod';
  if (apiVersion === 'v1' && kind === 'Service') return 'service';
  if (apiVersion === 'networking.k8s.io/v1' && kind === 'NetworkPolicy') return 'network-policy';
  if (apiVersion === 'admissionregistration.k8s.io/v1' && (kind === 'ValidatingAdmissionPolicy' || kind === 'ValidatingAdmissionPolicyBinding')) {
    return 'admission-policy';
  }
  if (apiVersion === 'v1' && kind === 'ConfigMap') return 'admission-policy';
  if (apiVersion.startsWith('security.istio.io/') || apiVersion.startsWith('networking.istio.io/')) return 'istio';
  return 'not-modelled';
}

export function objectKey(object: KubeObject): string {
  return `${object.apiVersion}/${object.kind}/${object.metadata.namespace ?? ''}/${object.metadata.name}`;
}

/** A namespaced object must say its namespace: the lab has no `default` fallback to hide a missing one. */
export function requireNamespace(object: KubeObject): string {
  const namespace = object.metadata.namespace;
  if (namespace === undefined || namespace === '') {
    throw new BadInputError(`${object.kind} ${object.metadata.name} has no metadata.namespace`, `apply ${object.kind}`, 'a namespace name');
  }
  return namespace;
}

/** A Service's selector, read defensively from the plain object. */
export function serviceSelector(object: KubeObject): Record<string, string> {
  const spec = object['spec'];
  if (typeof spec !== 'object' || spec === null || !('selector' in spec)) return {};
  const selector: unknown = spec.selector;
  if (typeof selector !== 'object' || selector === null) return {};
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(selector)) if (typeof value === 'string') result[key] = value;
  return result;
}

/** The Service `namespace/name` among the lab's Services (keyed by `objectKey`). */
export function serviceNamed(state: { readonly services: ReadonlyMap<string, KubeObject> }, key: string): KubeObject | undefined {
  return [...state.services.values()].find((service) => `${service.metadata.namespace ?? ''}/${service.metadata.name}` === key);
}

/** A Service's TCP ports with a numeric target (a named targetPort resolves to the same number in the scene). */
export function servicePorts(object: KubeObject): { readonly name: string; readonly port: number; readonly targetPort: number; readonly appProtocol?: string }[] {
  const spec = object['spec'];
  if (typeof spec !== 'object' || spec === null || !('ports' in spec) || !Array.isArray(spec.ports)) return [];
  return (spec.ports as unknown[]).flatMap((entry) => {
    if (typeof entry !== 'object' || entry === null) return [];
    const { name, port, targetPort, protocol, appProtocol } = entry as Record<string, unknown>;
    if (typeof port !== 'number' || (protocol !== undefined && protocol !== 'TCP')) return [];
    return [{
      name: typeof name === 'string' ? name : '',
      port,
      targetPort: typeof targetPort === 'number' ? targetPort : port,
      ...(typeof appProtocol === 'string' ? { appProtocol } : {}),
    }];
  });
}

/**
 * The metadata of every object the lab accepted, as sent, keyed by `objectKey`. The lab keeps its own models of
 * what objects mean (a parsed NetworkPolicy, a namespace's labels, a running pod); the read-back rebuilds each
 * object from those models and takes only what a model does not carry (labels of a ServiceAccount) from here.
 */
export class AcceptedObjects {
  private readonly objects = new Map<string, KubeObject>();

  record(object: KubeObject): void {
    this.objects.set(objectKey(object), structuredClone(object));
  }

  get(object: KubeObject): KubeObject | undefined {
    return this.objects.get(objectKey(object));
  }
}
