import type { V1Pod } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadAllStackTraits } from '../../core/config/testing/all-profiles.ts';
import type { AttackDefinition, AttemptPlan } from '../../core/domain/attack.ts';
import type { ControlPlan } from '../../core/domain/control.ts';
import type { StackTraits } from '../../core/domain/profile.ts';
import { SCENE } from '../../manifests/scene.ts';
import { planContext, stackAttackCases } from './testing/stack-attack-cases.ts';
import { testAddresses } from './testing/test-addresses.ts';
import { ATTACKS } from './index.ts';

const ATTEMPT_CANARY = 'bm00000000000000aa';
const CONTROL_CANARY = 'bm00000000000000bb';
const ADDRESSES = testAddresses({ apiServer: { host: '172.18.0.2', port: 6443 } });

let stacks: StackTraits[] = [];
beforeAll(async () => {
  stacks = await loadAllStackTraits();
});

/** Every leaf path where two JSON values differ (`metadata.labels.app`, `spec.containers.0.env`…). */
function differingPaths(left: unknown, right: unknown, path = ''): string[] {
  if (typeof left !== 'object' || typeof right !== 'object' || left === null || right === null) {
    return Object.is(left, right) ? [] : [path];
  }
  const keys = new Set([...Object.keys(left), ...Object.keys(right)]);
  return [...keys].flatMap((key) =>
    differingPaths((left as Record<string, unknown>)[key], (right as Record<string, unknown>)[key], path === '' ? key : `${path}.${key}`),
  );
}

/** The pod without its name (per role), nor the `app` label the builder derives from the name. */
function specOf(pod: V1Pod): unknown {
  const labels = { ...pod.metadata?.labels };
  if (labels[SCENE.appLabel] === pod.metadata?.name) delete labels[SCENE.appLabel];
  return { ...pod, metadata: { ...pod.metadata, name: undefined, labels } };
}

function address(plan: AttemptPlan): string | undefined {
  return plan.flow.destinationIp ?? plan.flow.destinationName;
}

/** The values a script reads its target from: the flow must not name a destination the script never asks. */
function scriptTargets(plan: AttemptPlan): string {
  return Object.entries(plan.env)
    .filter(([key]) => key !== 'CANARY')
    .map(([, value]) => value)
    .join(' ');
}

interface Case {
  readonly stack: StackTraits;
  readonly attack: AttackDefinition;
  readonly attackId: string;
  readonly where: string;
  readonly attempt: AttemptPlan;
  readonly control: ControlPlan;
  readonly sinkCanary: boolean;
}

function cases(): Case[] {
  return stackAttackCases(stacks, { applicableOnly: true }).map(({ stack, attack, where }) => ({
    stack,
    attack,
    where,
    attackId: attack.id,
    attempt: attack.attempt(planContext(stack, ATTEMPT_CANARY, ADDRESSES)),
    control: attack.control(planContext(stack, CONTROL_CANARY, ADDRESSES)),
    sinkCanary: attack.success === 'sink-canary',
  }));
}

describe('every control walks its attempt’s own path, on every stack', () => {
  it('covers the whole catalogue on all kind and lab profiles', () => {
    const all = cases();
    expect(new Set(all.map((entry) => entry.attackId)).size).toBe(ATTACKS.length);
    expect(new Set(all.map((entry) => entry.stack.profileId)).size).toBe(stacks.length);
  });

  it('same-destination: the attempt’s address, port and protocol, asked by the control’s script', () => {
    const failures: string[] = [];
    for (const { where, attempt, control } of cases()) {
      if (control.kind !== 'same-destination') continue;
      const to = address(attempt);
      if (control.flow.protocol !== attempt.flow.protocol) failures.push(`${where}: protocol ${control.flow.protocol} ≠ ${attempt.flow.protocol}`);
      if (address(control) !== to) failures.push(`${where}: address ${address(control)} ≠ ${to}`);
      if (control.flow.destinationPort !== attempt.flow.destinationPort) failures.push(`${where}: port ${control.flow.destinationPort} ≠ ${attempt.flow.destinationPort}`);
      // Where the attempt's flow names no single address or port, the control asks exactly what the attempt asks.
      if (to === undefined || attempt.flow.destinationPort === undefined) {
        const attemptTargets = scriptTargets(attempt).replaceAll(ATTEMPT_CANARY, CONTROL_CANARY);
        if (control.script !== attempt.script || scriptTargets(control) !== attemptTargets) failures.push(`${where}: several targets, and the control asks others`);
      } else {
        const targets = scriptTargets(control);
        if (!targets.includes(to)) failures.push(`${where}: the control's script never names ${to} (${targets})`);
        if (!targets.includes(String(attempt.flow.destinationPort)) && !(control.flow.protocol === 'http' && attempt.flow.destinationPort === 80)) {
          failures.push(`${where}: the control's script never names port ${attempt.flow.destinationPort}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('same-source: the attempt’s pod spec minus the declared technique, over the same protocol', () => {
    const failures: string[] = [];
    for (const { stack, attack, where, attempt, control: built } of cases()) {
      if (built.kind !== 'same-source') continue;
      // Built with the attempt's canary, so values derived from it (HN1's hostPort) compare equal.
      const control = attack.control(planContext(stack, ATTEMPT_CANARY, ADDRESSES));
      if (control.flow.protocol !== attempt.flow.protocol) failures.push(`${where}: protocol ${control.flow.protocol} ≠ ${attempt.flow.protocol}`);
      const differs = differingPaths(specOf(attempt.pod), specOf(control.pod)).filter(
        (path) => !control.techniqueRemoved.some((removed) => path === removed || path.startsWith(`${removed}.`)),
      );
      if (differs.length > 0) failures.push(`${where}: the control's pod differs beyond the technique at ${differs.join(', ')}`);
    }
    expect(failures).toEqual([]);
  });

  it('DNS controls only for DNS attacks', () => {
    const dnsControls = cases().filter((entry) => entry.control.flow.protocol === 'dns' || entry.control.script === 'dns-lookup.sh' && entry.control.env.QUERY_TCP !== '1');
    expect(dnsControls.filter((entry) => entry.attempt.flow.protocol !== 'dns').map((entry) => entry.where)).toEqual([]);
  });

  it('controls to the sink pass only on the sink’s record of their own canary', () => {
    const sinkBound = cases().filter((entry) => entry.control.kind === 'same-destination' && entry.sinkCanary);
    expect(sinkBound.length).toBeGreaterThan(0);
    expect(sinkBound.filter((entry) => entry.control.proof !== 'sink-canary').map((entry) => entry.where)).toEqual([]);
    for (const entry of sinkBound) expect(scriptTargets(entry.control)).not.toContain(ATTEMPT_CANARY);
  });

  it('a same-destination client is one the scene permits: the node (hostNetwork, bm-privileged) or frontend’s identity to api', () => {
    const failures: string[] = [];
    for (const { where, control } of cases()) {
      if (control.kind !== 'same-destination') continue;
      const spec = control.pod.spec;
      const node = spec?.hostNetwork === true && control.pod.metadata?.namespace === SCENE.namespaces.privileged;
      const frontend =
        spec?.serviceAccountName === SCENE.workloads.frontend.serviceAccount &&
        control.pod.metadata?.labels?.[SCENE.appLabel] === SCENE.workloads.frontend.name &&
        (address(control) === ADDRESSES.workloads['bm-app/api']?.podIp || address(control)?.startsWith(`${SCENE.workloads.api.name}.`) === true) &&
        control.flow.destinationPort === SCENE.workloads.api.port &&
        /\/api\/ping$/.test(control.env.TARGET_URL ?? '');
      if (!node && !frontend) failures.push(`${where}: ${control.pod.metadata?.namespace}/${spec?.serviceAccountName}`);
    }
    expect(failures).toEqual([]);
  });
});
