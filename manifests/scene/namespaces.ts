import type { V1Namespace } from '@kubernetes/client-node';
import type { KubeObject } from '../../core/domain/cluster.ts';
import type { Mesh, StackTraits } from '../../core/domain/profile.ts';
import { PSA_ENFORCE_LABEL, PSA_ENFORCE_VERSION_LABEL, type PsaLevel } from '../../core/admission/pod-security.ts';
import { asKubeObject, managedLabels } from '../kube-object.ts';
import { SCENE } from '../scene.ts';
import type { SceneOptions } from './scene-options.ts';

export type PodSecurityLevel = PsaLevel;

/** Kept at baseline where enforcement must be relaxed, so the API server still warns about what it lets in. */
export const PSA_WARN_LABEL = 'pod-security.kubernetes.io/warn';

/** The namespace labels that make a namespace a mesh member, per data-plane mode. */
export function meshMemberLabels(mesh: Mesh): Record<string, string> {
  switch (mesh) {
    case 'istio-sidecar':
      return { 'istio-injection': 'enabled' };
    case 'istio-ambient':
      return { 'istio.io/dataplane-mode': 'ambient' };
    case 'none':
      return {};
  }
}

/**
 * PSA level of the app namespace. istio-init needs NET_ADMIN and NET_RAW, so a sidecar mesh without istio-cni
 * cannot enforce baseline on its members; ambient always uses istio-cni
 * (https://istio.io/latest/docs/setup/additional-setup/cni/).
 */
export function appNamespacePsa(stack: StackTraits, options: SceneOptions): PodSecurityLevel {
  return stack.mesh === 'istio-sidecar' && !options.istioCni ? 'privileged' : 'baseline';
}

function namespace(name: string, psa: PodSecurityLevel, extra: Record<string, string>): KubeObject {
  const model: V1Namespace = {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      labels: managedLabels({
        ...extra,
        [PSA_ENFORCE_LABEL]: psa,
        [PSA_ENFORCE_VERSION_LABEL]: 'latest',
        ...(psa === 'baseline' ? {} : { [PSA_WARN_LABEL]: 'baseline' }),
      }),
    },
  };
  return asKubeObject(model);
}

/**
 * The scene's namespaces: `bm-app` (mesh member), `bm-rogue` (outside the mesh, baseline) and `bm-privileged`
 * (PSA privileged but otherwise like bm-app — same mesh labels — so privileged variants of an attack measure the
 * data plane of the same layers).
 */
export function buildNamespaces(stack: StackTraits, options: SceneOptions): KubeObject[] {
  const mesh = meshMemberLabels(stack.mesh);
  return [
    namespace(SCENE.namespaces.app, appNamespacePsa(stack, options), mesh),
    namespace(SCENE.namespaces.rogue, 'baseline', {}),
    namespace(SCENE.namespaces.privileged, 'privileged', mesh),
  ];
}
