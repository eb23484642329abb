import { PodBuilder, pod } from '../pod-builder.ts';
import { SCENE } from '../scene.ts';

/** Where an attacker base pod is placed: its usual namespace, or bm-privileged for privileged variants. */
export interface AttackerPlacement {
  readonly namespace?: string;
  /** Pod name; attacks running several attackers at once give each a distinct one. */
  readonly name?: string;
}

/**
 * The compromised in-mesh workload: bm-app, own service account `intruder`, the attacker image, idle until the
 * attack execs its script. Attacks refine it (`intruderPod().runAsUser(1337)`). Its service account also exists in
 * bm-privileged.
 */
export function intruderPod(placement: AttackerPlacement = {}): PodBuilder {
  const { intruder } = SCENE.workloads;
  return pod(placement.name ?? intruder.name, placement.namespace ?? SCENE.namespaces.app).serviceAccountName(intruder.serviceAccount);
}

/**
 * The pod outside the mesh: bm-rogue, own service account `rogue`. For LM2 (claiming another identity) place it in
 * bm-app and override `serviceAccountName`/`label`; the `rogue` account exists in bm-rogue and bm-privileged only.
 */
export function roguePod(placement: AttackerPlacement = {}): PodBuilder {
  const { rogue } = SCENE.workloads;
  return pod(placement.name ?? rogue.name, placement.namespace ?? SCENE.namespaces.rogue).serviceAccountName(rogue.serviceAccount);
}
