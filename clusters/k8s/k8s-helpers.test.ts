import type { KubeObject } from '../../core/domain/cluster.ts';
import { describe, expect, it } from 'vitest';
import { admissionRejection } from './admission-rejection.ts';
import { orderForApply, splitCrds } from './apply-order.ts';
import { exitFromStatus } from './exec-status.ts';
import { podProgress } from './pod-outcome.ts';
import { conditionMet } from './wait-conditions.ts';

function object(kind: string, name: string): KubeObject {
  return { apiVersion: 'v1', kind, metadata: { name } };
}

describe('apply ordering', () => {
  it('puts CRDs first, then namespaces, identities, workloads, policies last; stable within a rank', () => {
    const input = [
      object('NetworkPolicy', 'deny'),
      object('Deployment', 'api'),
      object('AuthorizationPolicy', 'api'),
      object('Namespace', 'bm-app'),
      object('CustomResourceDefinition', 'x.example'),
      object('ServiceAccount', 'api'),
      object('Service', 'api'),
      object('PeerAuthentication', 'strict'),
      object('ServiceAccount', 'db'),
    ];
    expect(orderForApply(input).map((item) => `${item.kind}/${item.metadata.name}`)).toEqual([
      'CustomResourceDefinition/x.example',
      'Namespace/bm-app',
      'ServiceAccount/api',
      'ServiceAccount/db',
      'Service/api',
      'Deployment/api',
      'NetworkPolicy/deny',
      'AuthorizationPolicy/api',
      'PeerAuthentication/strict',
    ]);
    const { crds, rest } = splitCrds(input);
    expect(crds.map((item) => item.metadata.name)).toEqual(['x.example']);
    expect(rest).toHaveLength(8);
  });
});

describe('admission rejection mapping', () => {
  const message =
    'pods "rogue-hn1" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true), hostPort (container "main" uses hostPort 8080)';

  it('returns the PodSecurity message verbatim from a 403 whose body is a Status (string or parsed)', () => {
    const status = { kind: 'Status', apiVersion: 'v1', status: 'Failure', message, reason: 'Forbidden', code: 403 };
    expect(admissionRejection({ code: 403, body: JSON.stringify(status) })).toBe(message);
    expect(admissionRejection({ code: 403, body: status })).toBe(message);
  });

  it('does not call RBAC refusals, conflicts or network errors admission', () => {
    const rbac = { message: 'pods is forbidden: User "system:serviceaccount:bm-app:x" cannot create resource "pods"' };
    expect(admissionRejection({ code: 403, body: rbac })).toBeUndefined();
    expect(admissionRejection({ code: 409, body: { message: 'violates PodSecurity' } })).toBeUndefined();
    expect(admissionRejection(new Error('ECONNREFUSED'))).toBeUndefined();
    expect(admissionRejection(undefined)).toBeUndefined();
  });

  it('maps a validating webhook denial too', () => {
    const webhook = 'admission webhook "validation.gatekeeper.sh" denied the request: privileged';
    expect(admissionRejection({ code: 400, body: { message: webhook } })).toBe(webhook);
  });
});

describe('exec status channel', () => {
  it('reads 0 from Success and the exit code from NonZeroExitCode', () => {
    expect(exitFromStatus({ status: 'Success', metadata: {} })).toEqual({ exitCode: 0 });
    expect(
      exitFromStatus({
        status: 'Failure',
        reason: 'NonZeroExitCode',
        message: 'command terminated with non-zero exit code: error executing command [sh -c exit 28], exit code 28',
        details: { causes: [{ reason: 'ExitCode', message: '28' }] },
      }),
    ).toEqual({ exitCode: 28 });
  });

  it('reports a command that could not start as 126 with the message', () => {
    expect(exitFromStatus({ status: 'Failure', reason: 'InternalError', message: 'executable file not found in $PATH' })).toEqual({
      exitCode: 126,
      message: 'executable file not found in $PATH',
    });
  });
});

describe('wait conditions', () => {
  it('Established / Available / Programmed are status conditions that must be True', () => {
    expect(conditionMet('CustomResourceDefinition', { status: { conditions: [{ type: 'Established', status: 'True' }] } }, 'Established')).toBe(true);
    expect(conditionMet('CustomResourceDefinition', { status: { conditions: [{ type: 'Established', status: 'False' }] } }, 'Established')).toBe(false);
    expect(conditionMet('Gateway', { status: { conditions: [{ type: 'Accepted', status: 'True' }] } }, 'Programmed')).toBe(false);
    expect(conditionMet('TigeraStatus', {}, 'Available')).toBe(false);
  });

  it('a DaemonSet rollout needs the latest generation observed and every pod updated and available', () => {
    const done = { metadata: { generation: 2 }, status: { observedGeneration: 2, desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 3 } };
    expect(conditionMet('DaemonSet', done, 'rollout')).toBe(true);
    expect(conditionMet('DaemonSet', { ...done, status: { ...done.status, observedGeneration: 1 } }, 'rollout')).toBe(false);
    expect(conditionMet('DaemonSet', { ...done, status: { ...done.status, numberAvailable: 2 } }, 'rollout')).toBe(false);
    expect(conditionMet('DaemonSet', { status: { desiredNumberScheduled: 0 } }, 'rollout')).toBe(false);
  });

  it('a Deployment rollout needs spec.replicas updated and available', () => {
    const deployment = { metadata: { generation: 1 }, spec: { replicas: 2 }, status: { observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 2 } };
    expect(conditionMet('Deployment', deployment, 'rollout')).toBe(true);
    expect(conditionMet('Deployment', { ...deployment, status: { ...deployment.status, replicas: 3 } }, 'rollout')).toBe(false);
  });

  it('a probe pod is Succeeded by its phase only', () => {
    expect(conditionMet('Pod', { status: { phase: 'Succeeded' } }, 'Succeeded')).toBe(true);
    expect(conditionMet('Pod', { status: { phase: 'Running' } }, 'Succeeded')).toBe(false);
    expect(conditionMet('Pod', { status: { phase: 'Failed', reason: 'DeadlineExceeded' } }, 'Succeeded')).toBe(false);
  });
});

describe('pod progress', () => {
  it('running only when every main container runs', () => {
    expect(podProgress({ status: { phase: 'Running', containerStatuses: [{ name: 'main', image: 'x', imageID: '', ready: true, restartCount: 0, state: { running: {} } }] } })).toEqual({
      state: 'running',
    });
    expect(podProgress({ status: { phase: 'Pending' } })).toEqual({ state: 'waiting' });
  });

  it('fails fast on image pull errors and failed pods, with the reason', () => {
    const pulling = { status: { phase: 'Pending', containerStatuses: [{ name: 'main', image: 'x', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff' } } }] } };
    expect(podProgress(pulling)).toEqual({ state: 'failed', reason: 'ImagePullBackOff' });
    expect(podProgress({ status: { phase: 'Failed', message: 'Pod was rejected: node affinity' } })).toEqual({ state: 'failed', reason: 'Pod was rejected: node affinity' });
  });
});
