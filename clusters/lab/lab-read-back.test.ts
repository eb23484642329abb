import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../core/domain/cluster.ts';
import { stackTraits } from '../../core/domain/profile.ts';
import { istioProxyPlacement } from '../../core/scene-check/mesh-enrolment.ts';
import { readBackCheck } from '../../core/scene-check/read-back-check.ts';
import { buildPolicySet } from '../../manifests/policies/layered-policy-set.ts';
import { buildWorkloadPods } from '../../manifests/scene/workloads.ts';
import { labProfile } from './testing/lab-profile.ts';
import type { LabPod } from './lab-pod.ts';
import { AcceptedObjects, objectKey } from './lab-objects.ts';
import { labReadBack, type LabObjectState } from './lab-read-back.ts';
import { parseNetworkPolicy, type LabNetworkPolicy } from './netpol/network-policy.ts';

const policies = buildPolicySet(stackTraits(labProfile('lab:netpol+sidecar'))).cni;
const api = buildWorkloadPods().find((pod) => pod.metadata?.name === 'api');

function state(overrides: Partial<LabObjectState>, objects: readonly KubeObject[]): LabObjectState {
  const accepted = new AcceptedObjects();
  for (const object of objects) accepted.record(object);
  const parsed = new Map(objects.filter((object) => object.kind === 'NetworkPolicy').map((object) => [objectKey(object), parseNetworkPolicy(object)]));
  return {
    accepted,
    namespaceLabels: () => undefined,
    serviceAccount: () => false,
    service: () => undefined,
    policy: (key) => parsed.get(key),
    istio: () => undefined,
    unmodelled: () => undefined,
    pod: () => undefined,
    hasSidecar: () => false,
    ambientEnrolled: () => false,
    admissionPolicy: () => false,
    ...overrides,
  };
}

describe('the lab read-back', () => {
  it('rebuilds every scene NetworkPolicy from its parsed model with every field that was sent', () => {
    expect(policies.length).toBeGreaterThan(5);
    const live = labReadBack(state({}, policies), policies);
    expect(readBackCheck(policies, live)).toMatchObject({ passed: true });
  });

  it('a model that lost part of a rule shows up as a difference, named by path', () => {
    const target = policies.find((object) => object.metadata.name === 'bm-api-ingress');
    if (target === undefined) throw new Error('no bm-api-ingress');
    const lossy = (key: string): LabNetworkPolicy | undefined => {
      const model = parseNetworkPolicy(target);
      return key === objectKey(target) ? { ...model, ingress: (model.ingress ?? []).map((rule) => ({ ...rule, ports: 'any' as const })) } : undefined;
    };
    const check = readBackCheck([target], labReadBack(state({ policy: lossy }, [target]), [target]));
    expect(check.passed).toBe(false);
    expect(check.detail).toBe('NetworkPolicy bm-app/bm-api-ingress: spec.ingress[0].ports: missing on the live object');
  });

  it('a pod reads back as it runs: with the lab sidecar as an istio-proxy native sidecar, absent once deleted', () => {
    if (api === undefined) throw new Error('no api pod');
    const sent = api as unknown as KubeObject;
    const running = { key: 'bm-app/api', name: 'api', namespace: 'bm-app', spec: api, deleted: false } as unknown as LabPod;
    const [withSidecar] = labReadBack(state({ pod: () => running, hasSidecar: () => true }, [sent]), [sent]);
    expect(withSidecar === undefined ? undefined : istioProxyPlacement(withSidecar)).toBe('native-sidecar');
    expect(readBackCheck([sent], [withSidecar])).toMatchObject({ passed: true });
    const [plain] = labReadBack(state({ pod: () => running }, [sent]), [sent]);
    expect(plain === undefined ? 'absent' : istioProxyPlacement(plain)).toBeUndefined();
    const [gone] = labReadBack(state({ pod: () => ({ ...running, deleted: true }) }, [sent]), [sent]);
    expect(gone).toBeUndefined();
  });
});
