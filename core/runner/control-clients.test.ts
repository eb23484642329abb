import { describe, expect, it } from 'vitest';
import { MEMORY_ADDRESSES, MemoryCluster, type Replay } from '../../clusters/memory/memory-cluster.ts';
import { labProfiles } from '../config/profiles-config.ts';
import type { AttemptContext } from '../domain/attack.ts';
import type { ControlPlan } from '../domain/control.ts';
import type { Profile } from '../domain/profile.ts';
import { pod, type PodBuilder } from '../../manifests/pod-builder.ts';
import { SCENE } from '../../manifests/scene.ts';
import { ControlClients, sharedSpec } from './control-clients.ts';
import { executeAttack } from './execute-attack.ts';
import { EXPECT_BLOCKED_BY_CNI, syntheticAttack } from './testing/synthetic-attack.ts';

const netpol = labProfiles().find((profile) => profile.id === 'lab:netpol') as Profile;
const scripts = (): string => 'true';

function plan(builder: PodBuilder, canary: string, overrides: Partial<ControlPlan> = {}): ControlPlan {
  return {
    pod: builder.build(),
    script: 'synthetic.sh',
    env: { CANARY: canary },
    placement: 'exec',
    flow: { protocol: 'tcp', destinationIp: '10.96.0.10', destinationPort: 8080 },
    kind: 'same-destination',
    proof: 'client-signal',
    techniqueRemoved: [],
    ...overrides,
  };
}

const nodeClient = (name: string): PodBuilder => pod(name, SCENE.namespaces.privileged).hostNetwork();

describe('ControlClients', () => {
  it('runs controls whose pods differ only by name in one shared pod, each with its own script run and canary', async () => {
    const memory = new MemoryCluster(netpol, () => ({ signal: 'connected' }));
    const clients = new ControlClients(memory, 1000);
    const [a, b] = await Promise.all([
      clients.run(plan(nodeClient('bm-eg1-ctl-aaaa'), 'bm000000000000aaaa'), scripts),
      clients.run(plan(nodeClient('bm-eg5-ctl-bbbb'), 'bm000000000000bbbb'), scripts),
    ]);
    expect(memory.podsCreated).toHaveLength(1);
    expect(a?.pod?.name).toBe(memory.podsCreated[0]);
    expect(b?.pod?.name).toBe(memory.podsCreated[0]);
    expect(memory.scriptsRun).toEqual([memory.podsCreated[0], memory.podsCreated[0]]);
    expect([a?.signal, b?.signal]).toEqual(['connected', 'connected']);
  });

  it('gives a different spec (another node, namespace or identity) a pod of its own', async () => {
    const memory = new MemoryCluster(netpol, () => ({ signal: 'connected' }));
    const clients = new ControlClients(memory, 1000);
    await clients.run(plan(nodeClient('bm-a-ctl-1'), 'bm0000000000000001'), scripts);
    await clients.run(plan(nodeClient('bm-b-ctl-2').onNode('lab-worker2'), 'bm0000000000000002'), scripts);
    await clients.run(plan(pod('bm-c-ctl-3', SCENE.namespaces.app).serviceAccountName('frontend').label(SCENE.appLabel, 'frontend'), 'bm0000000000000003'), scripts);
    await clients.run(plan(pod('bm-d-ctl-4', SCENE.namespaces.app).serviceAccountName('frontend').label(SCENE.appLabel, 'frontend'), 'bm0000000000000004'), scripts);
    expect(memory.podsCreated).toHaveLength(3);
  });

  it('never shares a same-source control (the attempt\'s own pod) or an init-container plan', async () => {
    const memory = new MemoryCluster(netpol, () => ({ signal: 'connected' }));
    const clients = new ControlClients(memory, 1000);
    expect(await clients.run(plan(nodeClient('bm-a-ctl-1'), 'bm0000000000000001', { kind: 'same-source' }), scripts)).toBeUndefined();
    expect(await clients.run(plan(nodeClient('bm-a-ctl-2'), 'bm0000000000000002', { placement: 'init-container' }), scripts)).toBeUndefined();
    expect(memory.podsCreated).toEqual([]);
  });

  it('a shared pod admission refuses is not used, and is asked for again by the next control', async () => {
    let asked = 0;
    const replay: Replay = () => {
      asked += 1;
      return { signal: 'connected', rejectWith: 'pods "x" is forbidden: no' };
    };
    const memory = new MemoryCluster(netpol, replay);
    const clients = new ControlClients(memory, 1000);
    expect(await clients.run(plan(nodeClient('bm-a-ctl-1'), 'bm0000000000000001'), scripts)).toBeUndefined();
    expect(await clients.run(plan(nodeClient('bm-a-ctl-2'), 'bm0000000000000002'), scripts)).toBeUndefined();
    expect(asked).toBe(2);
  });

  it('names the shared pod from its spec; an app label that repeated the name follows the new name', () => {
    const first = sharedSpec(nodeClient('bm-eg1-ctl-aaaa').build(), 'ab12');
    const second = sharedSpec(nodeClient('bm-eg5-ctl-bbbb').build(), 'ab12');
    expect(first.metadata?.name).toMatch(/^bm-ctl-[0-9a-f]{12}-ab12$/);
    expect(second.metadata?.name).toBe(first.metadata?.name);
    expect(first.metadata?.labels?.[SCENE.appLabel]).toBe(first.metadata?.name);
    const impostor = sharedSpec(pod('bm-sc10-ctl-cccc', SCENE.namespaces.app).label(SCENE.appLabel, 'frontend').build(), 'ab12');
    expect(impostor.metadata?.labels?.[SCENE.appLabel]).toBe('frontend');
    expect(impostor.spec).toEqual(pod('bm-sc10-ctl-cccc', SCENE.namespaces.app).label(SCENE.appLabel, 'frontend').build().spec);
  });
});

describe('executeAttack with shared control clients', () => {
  const NFT_DENY = { layer: 'cni' as const, source: 'nft-counter' as const, verdict: 'denied' as const, raw: 'counter packets 1 bytes 60 drop comment "bm:deny"', rule: 'bm-app/bm-default-deny' };
  const sameDestination = (id: string) => {
    const attack = syntheticAttack({ id, expected: EXPECT_BLOCKED_BY_CNI });
    return { ...attack, control: (context: AttemptContext): ControlPlan => ({ ...attack.control(context), kind: 'same-destination' }) };
  };
  // The shared client is broken (its control times out); a control pod of its own passes.
  const replay: Replay = (spec) => {
    const name = spec.metadata?.name ?? '';
    if (name.startsWith('bm-ctl-')) return { signal: 'timeout' };
    if (name.includes('-control-')) return { signal: 'delivered' };
    return { signal: 'timeout', evidence: [NFT_DENY] };
  };

  it('a control that fails on the shared client is retried on a pod of its own', async () => {
    const memory = new MemoryCluster(netpol, replay);
    const options = { runId: 't', addresses: MEMORY_ADDRESSES, podReadyMs: 1000, controlRetries: 1, scripts, controlClients: new ControlClients(memory, 1000) };
    const cell = await executeAttack(memory, sameDestination('T1'), options);
    expect(cell.control).toMatchObject({ passed: true, tries: 2, client: 'own' });
    expect(cell).toMatchObject({ outcome: 'blocked', blockedBy: 'cni', confidence: 'confirmed' });
  });

  it('without a retry, a broken shared client makes the cell inconclusive, never blocked', async () => {
    const memory = new MemoryCluster(netpol, replay);
    const options = { runId: 't', addresses: MEMORY_ADDRESSES, podReadyMs: 1000, controlRetries: 0, scripts, controlClients: new ControlClients(memory, 1000) };
    const cell = await executeAttack(memory, sameDestination('T2'), options);
    expect(cell.control).toMatchObject({ passed: false, tries: 1, client: 'shared' });
    expect(cell.outcome).toBe('inconclusive');
    expect(cell.blockedBy).toBeUndefined();
  });
});
