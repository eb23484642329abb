import type { KubeObject } from '../domain/cluster.ts';
import type { StackTraits } from '../domain/profile.ts';
import type { SceneCheck } from '../domain/scene-self-test.ts';
import { meshMemberLabels } from '../../manifests/scene/namespaces.ts';

/** The proxy container istio's injector adds (istio.io, "Installing the sidecar"). */
export const ISTIO_PROXY_CONTAINER = 'istio-proxy';
/** Set by Istio on a pod once it is enrolled in ambient mode: the actual state, not the intent (istio.io/latest/docs/reference/config/annotations/). */
export const AMBIENT_REDIRECTION_ANNOTATION = 'ambient.istio.io/redirection';

type Json = Record<string, unknown>;

function record(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

function list(value: unknown): Json[] {
  return Array.isArray(value) ? value.flatMap((item) => (record(item) === undefined ? [] : [item as Json])) : [];
}

function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(record(value) ?? {})) if (typeof item === 'string') out[key] = item;
  return out;
}

/**
 * Where the live pod carries istio-proxy: a regular container (classic sidecar) or an init container with
 * `restartPolicy: Always` (a Kubernetes native sidecar, which Istio ≥ 1.27 injects by default where supported).
 */
export function istioProxyPlacement(live: KubeObject): 'container' | 'native-sidecar' | undefined {
  const spec = record(live['spec']);
  if (list(spec?.['containers']).some((container) => container['name'] === ISTIO_PROXY_CONTAINER)) return 'container';
  const native = list(spec?.['initContainers']).some((container) => container['name'] === ISTIO_PROXY_CONTAINER && container['restartPolicy'] === 'Always');
  return native ? 'native-sidecar' : undefined;
}

function objectName(object: KubeObject): string {
  return `${object.metadata.namespace ?? ''}/${object.metadata.name}`;
}

/** Pods the scene puts in a mesh namespace (not host-network, not opted out): each must be enrolled. */
function expectedMembers(stack: StackTraits, sent: readonly KubeObject[]): KubeObject[] {
  const memberLabels = Object.entries(meshMemberLabels(stack.mesh));
  const meshNamespaces = new Set(
    sent
      .filter((object) => object.apiVersion === 'v1' && object.kind === 'Namespace')
      .filter((namespace) => memberLabels.length > 0 && memberLabels.every(([key, value]) => namespace.metadata.labels?.[key] === value))
      .map((namespace) => namespace.metadata.name),
  );
  return sent.filter((object) => {
    if (object.apiVersion !== 'v1' || object.kind !== 'Pod' || !meshNamespaces.has(object.metadata.namespace ?? '')) return false;
    if (record(object['spec'])?.['hostNetwork'] === true) return false;
    const optOut = object.metadata.annotations?.['sidecar.istio.io/inject'] === 'false' || object.metadata.labels?.['sidecar.istio.io/inject'] === 'false';
    return !optOut && object.metadata.labels?.['istio.io/dataplane-mode'] !== 'none';
  });
}

/** One row per scene pod that should be in the mesh, read from its live object. None on a stack without a mesh. */
export function meshEnrolmentChecks(stack: StackTraits, sent: readonly KubeObject[], live: readonly (KubeObject | undefined)[]): SceneCheck[] {
  if (stack.mesh === 'none') return [];
  const liveByName = new Map<string, KubeObject>();
  sent.forEach((object, index) => {
    const found = live[index];
    if (found !== undefined) liveByName.set(`${object.kind}/${objectName(object)}`, found);
  });
  return expectedMembers(stack, sent).map((pod): SceneCheck => {
    const name = `mesh enrolment ${objectName(pod)}`;
    const livePod = liveByName.get(`Pod/${objectName(pod)}`);
    if (livePod === undefined) {
      return { name, kind: 'mesh-enrolment', expected: 'the live pod', observed: 'no live pod', tries: 1, passed: false, detail: 'the cluster has no such pod' };
    }
    if (stack.mesh === 'istio-sidecar') {
      const placement = istioProxyPlacement(livePod);
      return {
        name,
        kind: 'mesh-enrolment',
        expected: `${ISTIO_PROXY_CONTAINER} injected (spec.containers, or spec.initContainers with restartPolicy Always)`,
        observed: placement === undefined ? `no ${ISTIO_PROXY_CONTAINER} container` : `${ISTIO_PROXY_CONTAINER} as ${placement === 'container' ? 'a container' : 'a native sidecar'}`,
        tries: 1,
        passed: placement !== undefined,
        detail: placement === undefined ? 'the pod was never injected: its traffic would bypass the sidecar layer' : '',
      };
    }
    const redirection = stringMap(record(livePod['metadata'])?.['annotations'])[AMBIENT_REDIRECTION_ANNOTATION];
    return {
      name,
      kind: 'mesh-enrolment',
      expected: `${AMBIENT_REDIRECTION_ANNOTATION}=enabled (traffic redirected to ztunnel)`,
      observed: redirection === undefined ? `no ${AMBIENT_REDIRECTION_ANNOTATION} annotation` : `${AMBIENT_REDIRECTION_ANNOTATION}=${redirection}`,
      tries: 1,
      passed: redirection === 'enabled',
      detail: redirection === 'enabled' ? '' : 'the pod is not enrolled in ambient: its traffic would bypass ztunnel',
    };
  });
}
