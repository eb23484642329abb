import type { KubeObject } from '../core/domain/cluster.ts';
import { SCENE } from './scene.ts';

/** The shape every client-node model (V1Pod, V1Service, …) and every CRD object we build shares. */
export interface ModelObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: {
    readonly name?: string;
    readonly namespace?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
  };
}

/**
 * Narrow a typed model to the plain `KubeObject` the Cluster interface applies. The models mark every field
 * optional; a builder that forgot apiVersion, kind or name is a programming error, caught here rather than by
 * the API server.
 */
export function asKubeObject(model: ModelObject): KubeObject {
  const { apiVersion, kind, metadata } = model;
  if (apiVersion === undefined || kind === undefined || metadata?.name === undefined) {
    throw new Error(`manifest without apiVersion/kind/metadata.name: ${JSON.stringify(model).slice(0, 200)}`);
  }
  return { ...model, apiVersion, kind, metadata: { ...metadata, name: metadata.name } };
}

/** Labels every object the harness makes carries (a sweep finds leftovers by them). */
export function managedLabels(extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  return { [SCENE.managedByLabel.key]: SCENE.managedByLabel.value, ...extra };
}
