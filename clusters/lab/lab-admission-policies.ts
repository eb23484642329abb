import type { V1Pod } from '@kubernetes/client-node';
import type { KubeObject, PodRequester } from '../../core/domain/cluster.ts';
import type { AdmissionDecision } from '../../core/admission/admission-decision.ts';
import { AdmissionPolicyEvaluator } from '../../core/admission/validating-admission-policy.ts';
import { objectKey } from './lab-objects.ts';

/** The lab's ValidatingAdmissionPolicy plugin: the evaluator, plus which applied objects it holds (for read-back). */
export class LabAdmissionPolicies {
  private readonly evaluator = new AdmissionPolicyEvaluator();
  private readonly held = new Set<string>();

  /** Whether the object with this key (lab-objects.ts objectKey) is held. */
  holds(key: string): boolean {
    return this.held.has(key);
  }

  /** Store a policy, binding or ConfigMap; false for any other object. */
  accept(object: KubeObject): boolean {
    const stored = this.evaluator.accept(object);
    if (stored) this.held.add(objectKey(object));
    return stored;
  }

  admit(pod: V1Pod, namespace: string, namespaceLabels: Readonly<Record<string, string>>, requester?: PodRequester): AdmissionDecision {
    return this.evaluator.admit(pod, namespace, namespaceLabels, requester);
  }
}
