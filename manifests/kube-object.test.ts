import { describe, expect, it } from 'vitest';
import { asKubeObject, managedLabels } from './kube-object.ts';

describe('asKubeObject', () => {
  it('keeps the object as plain data', () => {
    const object = asKubeObject({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'api', namespace: 'bm-app' } });
    expect(object).toEqual({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'api', namespace: 'bm-app' } });
  });

  it('refuses a model without a name (a builder bug, not something to send to the API server)', () => {
    expect(() => asKubeObject({ apiVersion: 'v1', kind: 'Pod', metadata: {} })).toThrow('manifest without apiVersion/kind/metadata.name');
  });

  it('marks objects as made by breachmatrix', () => {
    expect(managedLabels({ app: 'x' })).toEqual({ 'app.kubernetes.io/managed-by': 'breachmatrix', app: 'x' });
  });
});
