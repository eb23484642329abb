import type { Profile } from '../../core/domain/profile.ts';

/**
 * What the scene needs beyond `StackTraits`: StackTraits describes layers, not provisioning, and has no
 * `istioCni`, yet without istio-cni the sidecar injector adds istio-init (NET_ADMIN, NET_RAW), which PSA
 * `baseline` rejects — so that option decides the app namespace's PSA level.
 */
export interface SceneOptions {
  /** Istio sidecar mode: traffic capture is set up by istio-cni (true) or by the privileged istio-init container. */
  readonly istioCni: boolean;
}

/** The profile default (clusters/profiles.yaml): istio-cni on. */
export const DEFAULT_SCENE_OPTIONS: SceneOptions = { istioCni: true };

export function sceneOptions(profile: Profile): SceneOptions {
  return { istioCni: profile.options.istioCni };
}
