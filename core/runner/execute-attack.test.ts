import { describe, expect, it } from 'vitest';
import { MEMORY_ADDRESSES, MemoryCluster, type Replay } from '../../clusters/memory/memory-cluster.ts';
import { labProfiles } from '../config/profiles-config.ts';
import type { Profile } from '../domain/profile.ts';
import { executeAttack } from './execute-attack.ts';
import { EXPECT_ALLOWED, EXPECT_BLOCKED_BY_CNI, syntheticAttack } from './testing/synthetic-attack.ts';

const netpolSidecar = labProfiles().find((profile) => profile.id === 'lab:netpol+sidecar') as Profile;
const options = { runId: 'test-run', addresses: MEMORY_ADDRESSES, podReadyMs: 1000, controlRetries: 1, scripts: () => 'true' };

function cluster(replay: Replay): MemoryCluster {
  return new MemoryCluster(netpolSidecar, replay);
}

const byRole = (attempt: ReturnType<Replay>, control: ReturnType<Replay>): Replay =>
  (pod) => (pod.metadata?.name?.includes('-control-') ? control : attempt);

const NFT_DENY = { layer: 'cni' as const, source: 'nft-counter' as const, verdict: 'denied' as const, raw: 'counter packets 1 bytes 60 drop comment "bm:deny"', rule: 'bm-app/bm-default-deny' };

describe('executeAttack', () => {
  it('credits the layer whose own record denied the attempt, confirmed, when the control passed', async () => {
    const memory = cluster(byRole({ signal: 'timeout', evidence: [NFT_DENY] }, { signal: 'delivered' }));
    const cell = await executeAttack(memory, syntheticAttack({ id: 'T1', expected: EXPECT_BLOCKED_BY_CNI }), options);
    expect(cell).toMatchObject({ outcome: 'blocked', blockedBy: 'cni', confidence: 'confirmed', signal: 'timeout', asExpected: true, attempts: 1 });
    expect(cell.control).toMatchObject({ passed: true, signal: 'delivered', tries: 1 });
    expect(cell.evidence).toContainEqual(NFT_DENY);
  });

  it('never says blocked when the positive control failed: inconclusive after the retries', async () => {
    const memory = cluster(byRole({ signal: 'timeout', evidence: [NFT_DENY] }, { signal: 'timeout' }));
    const cell = await executeAttack(memory, syntheticAttack({ id: 'T2', expected: EXPECT_BLOCKED_BY_CNI }), options);
    expect(cell.outcome).toBe('inconclusive');
    expect(cell.blockedBy).toBeUndefined();
    expect(cell.asExpected).toBe(false);
    expect(cell.control).toMatchObject({ passed: false, tries: 2 });
  });

  it('counts exfiltration only when the sink received the canary', async () => {
    const delivered = cluster(byRole({ signal: 'delivered', delivers: true }, { signal: 'delivered' }));
    const allowed = await executeAttack(delivered, syntheticAttack({ id: 'T3', success: 'sink-canary', expected: EXPECT_ALLOWED }), options);
    expect(allowed).toMatchObject({ outcome: 'allowed', asExpected: true });
    expect(allowed.evidence.filter((item) => item.source === 'sink')).toHaveLength(1);

    const lost = cluster(byRole({ signal: 'delivered', delivers: false }, { signal: 'delivered' }));
    const blocked = await executeAttack(lost, syntheticAttack({ id: 'T4', success: 'sink-canary', expected: EXPECT_ALLOWED }), options);
    expect(blocked).toMatchObject({ outcome: 'blocked', confidence: 'inferred', asExpected: false });
  });

  it('records admission refusals with the rejection text as admission evidence', async () => {
    const message = 'pods "t5" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true)';
    const memory = cluster(byRole({ signal: 'delivered', rejectWith: message }, { signal: 'delivered' }));
    const cell = await executeAttack(memory, syntheticAttack({ id: 'T5', expected: { outcome: 'blocked', blockedBy: 'admission', certainty: 'documented', source: 'PSA' } }), options);
    expect(cell).toMatchObject({ outcome: 'blocked', blockedBy: 'admission', confidence: 'confirmed', signal: 'admission-denied', asExpected: true });
    expect(cell.evidence[0]?.raw).toBe(message);
  });

  it('marks not-applicable attacks without creating a pod', async () => {
    const memory = cluster(() => ({ signal: 'delivered' }));
    const cell = await executeAttack(
      memory,
      syntheticAttack({ id: 'T6', notApplicable: 'needs a real API server', expected: { outcome: 'not-applicable', certainty: 'documented', source: 'lab' } }),
      options,
    );
    expect(cell).toMatchObject({ outcome: 'not-applicable', reason: 'needs a real API server', asExpected: true, attempts: 0 });
    expect(memory.podsCreated).toEqual([]);
  });

  it('turns an infrastructure failure into an error cell, never blocked, and deletes every pod it made', async () => {
    const memory = cluster(byRole({ signal: 'timeout' }, { signal: 'delivered' }));
    memory.collectEvidence = async () => {
      throw new Error('evidence store unreachable');
    };
    const cell = await executeAttack(memory, syntheticAttack({ id: 'T7', expected: EXPECT_BLOCKED_BY_CNI }), options);
    expect(cell.outcome).toBe('error');
    expect(cell.reason).toContain('evidence store unreachable');
    expect([...memory.podsDeleted].sort()).toEqual([...memory.podsCreated].sort());
  });
});
