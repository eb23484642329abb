import { describe, expect, it } from 'vitest';
import { pod } from '../../manifests/pod-builder.ts';
import { HARDENED_ADMISSION, buildHardenedAdmissionPolicies } from '../../manifests/policies/hardened-admission-policies.ts';
import { SCENE } from '../../manifests/scene.ts';
import { LabAdmissionPolicies } from './lab-admission-policies.ts';
import { objectKey } from './lab-objects.ts';

const APP = SCENE.namespaces.app;

describe('the lab admission policies', () => {
  it('hold exactly the objects they accepted, by the lab object key (read-back)', () => {
    const policies = new LabAdmissionPolicies();
    const objects = buildHardenedAdmissionPolicies();
    const [first, ...rest] = objects;
    if (first === undefined) throw new Error('hardened objects expected');
    expect(policies.accept(first)).toBe(true);
    expect(policies.holds(objectKey(first))).toBe(true);
    for (const object of rest) expect(policies.holds(objectKey(object))).toBe(false);
    expect(policies.accept({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: APP } })).toBe(false);
    expect(policies.holds(objectKey({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: APP } }))).toBe(false);
  });

  it('admit through the evaluator, by the requester the lab names', () => {
    const policies = new LabAdmissionPolicies();
    for (const object of buildHardenedAdmissionPolicies()) policies.accept(object);
    const labels = { 'kubernetes.io/metadata.name': APP };
    const impostor = pod('lm2', APP).serviceAccountName('frontend').label('app', 'frontend').build();
    expect(policies.admit(impostor, APP, labels, 'harness')).toEqual({ allowed: true });
    const decision = policies.admit(impostor, APP, labels, 'pod-creator');
    if (decision.allowed) throw new Error('expected the pod creator to be refused');
    expect(decision.message).toContain(`ValidatingAdmissionPolicy '${HARDENED_ADMISSION.deployerPolicy}'`);
  });
});
