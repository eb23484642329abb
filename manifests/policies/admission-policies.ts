import type { KubeObject } from '../../core/domain/cluster.ts';

/**
 * The admission layer is Pod Security Admission, configured by the namespace labels of the scene
 * (scene/namespaces.ts), so this part of the policy set is empty on purpose. A ValidatingAdmissionPolicy could
 * refuse identity claims (LM2: a pod taking `serviceAccountName: frontend`), but the catalogue measures that
 * stock stacks do NOT stop them; adding one would change the question the matrix answers.
 */
export function buildAdmissionPolicies(): KubeObject[] {
  return [];
}
