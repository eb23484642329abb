import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BadInputError } from '../../core/domain/errors.ts';
import { LabCluster } from './lab-cluster.ts';
import { authorizationPolicy } from './sidecar/test-objects.ts';
import { labProfile } from './testing/lab-profile.ts';

/** A bad Istio object is refused by apply() before anything in its batch is applied (real lab, needs root). */
describe('lab apply validates Istio objects up front', () => {
  let lab: LabCluster;

  beforeAll(async () => {
    lab = await LabCluster.create(labProfile('lab:sidecar'), { runId: 'it-istio', onProgress: () => undefined });
  });

  afterAll(async () => {
    await lab?.teardown();
  });

  it('an unknown field fails the whole batch, naming policy and field; nothing is kept', async () => {
    const good = authorizationPolicy('bm-app', 'good', { selector: { matchLabels: { app: 'api' } }, rules: [{}] });
    const bad = authorizationPolicy('bm-app', 'bad', { provider: { name: 'ext-authz' }, action: 'CUSTOM' });
    const namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bm-app' } };
    await expect(lab.apply([namespace, good, bad])).rejects.toThrow(BadInputError);
    await expect(lab.apply([namespace, good, bad])).rejects.toThrow('AuthorizationPolicy bm-app/bad: spec.provider');
    expect(lab.istioObjects()).toEqual([]);
  });

  it('a targetRefs policy is accepted (it applies to no sidecar)', async () => {
    const namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bm-app' } };
    const waypoint = authorizationPolicy('bm-app', 'waypoint', { targetRefs: [{ group: '', kind: 'Service', name: 'api' }], rules: [{}] });
    await lab.apply([namespace, waypoint]);
    expect(lab.istioObjects().map((object) => object.metadata.name)).toEqual(['waypoint']);
  });
});
