import { describe, expect, it } from 'vitest';
import { MEMORY_ADDRESSES, MemoryCluster, type Replay, type ScriptedRun } from '../../clusters/memory/memory-cluster.ts';
import type { Expectation } from '../domain/attack.ts';
import { labProfiles } from '../config/profiles-config.ts';
import type { Profile } from '../domain/profile.ts';
import { CAPTURE_OPEN_LINE } from '../../attack-pods/script-result.ts';
import { TIMEOUTS } from '../timeouts.ts';
import { executeAttack } from './execute-attack.ts';
import { EXPECT_ALLOWED, EXPECT_BLOCKED_BY_CNI, SYNTHETIC_CAPTURED_IP, syntheticAttack } from './testing/synthetic-attack.ts';

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

  it('admission evidence carries the parser\'s rule and detail beside the API server\'s message', async () => {
    let message = '';
    const memory = cluster((pod) => {
      const name = pod.metadata?.name ?? '';
      message = `pods "${name}" is forbidden: ValidatingAdmissionPolicy 'bm-guard' with binding 'bm-guard-binding' denied request: not yours`;
      return name.includes('-control-') ? { signal: 'delivered' } : { signal: 'delivered', rejectWith: message };
    });
    const cell = await executeAttack(memory, syntheticAttack({ id: 'T5b', expected: { outcome: 'blocked', blockedBy: 'admission', certainty: 'documented', source: 'VAP' } }), options);
    expect(cell).toMatchObject({ outcome: 'blocked', blockedBy: 'admission', confidence: 'confirmed' });
    expect(cell.evidence[0]).toMatchObject({ raw: message, rule: 'ValidatingAdmissionPolicy bm-guard' });
    expect(cell.evidence[0]?.detail).toContain('not yours');
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

  it('never records blocked on a dead destination: error naming what died', async () => {
    const memory = cluster(byRole({ signal: 'reset' }, { signal: 'delivered' }));
    memory.liveness = () => ({ status: 'dead', died: 'pod bm-app/api: its sidecar proxy is not running (killed by SIGKILL)' });
    const cell = await executeAttack(memory, syntheticAttack({ id: 'T8', expected: EXPECT_BLOCKED_BY_CNI }), options);
    expect(cell.outcome).toBe('error');
    expect(cell.blockedBy).toBeUndefined();
    expect(cell.reason).toContain('its sidecar proxy is not running');
    expect(memory.livenessAsked).toHaveLength(1);
  });

  it('refuses blocked when the destination cannot be checked', async () => {
    const memory = cluster(byRole({ signal: 'timeout', evidence: [NFT_DENY] }, { signal: 'delivered' }));
    memory.liveness = () => ({ status: 'unknown', reason: 'the flow names no destination' });
    const cell = await executeAttack(memory, syntheticAttack({ id: 'T9', expected: EXPECT_BLOCKED_BY_CNI }), options);
    expect(cell).toMatchObject({ outcome: 'error', asExpected: false });
  });

  it('asks nothing of an allowed attempt, and keeps blocked on a live destination', async () => {
    const allowed = cluster(byRole({ signal: 'delivered' }, { signal: 'delivered' }));
    expect((await executeAttack(allowed, syntheticAttack({ id: 'T10', expected: EXPECT_ALLOWED }), options)).outcome).toBe('allowed');
    expect(allowed.livenessAsked).toEqual([]);
    const blocked = cluster(byRole({ signal: 'timeout', evidence: [NFT_DENY] }, { signal: 'delivered' }));
    expect((await executeAttack(blocked, syntheticAttack({ id: 'T11', expected: EXPECT_BLOCKED_BY_CNI }), options)).outcome).toBe('blocked');
    expect(blocked.livenessAsked).toHaveLength(1);
  });

  it('records the attempt flow and the control path beside it', async () => {
    const memory = cluster(byRole({ signal: 'timeout', evidence: [NFT_DENY] }, { signal: 'delivered' }));
    const cell = await executeAttack(memory, syntheticAttack({ id: 'T12', expected: EXPECT_BLOCKED_BY_CNI }), options);
    expect(cell.schemaVersion).toBe(2);
    expect(cell.flow).toMatchObject({ from: expect.stringMatching(/^bm-app\/t12-attempt-.* \(10\.244\.0\.10\)$/), protocol: 'tcp' });
    expect(cell.control).toMatchObject({ kind: 'same-source', result: 'passed', from: expect.stringMatching(/^bm-app\/t12-control-/), protocol: 'tcp' });
  });

  it('a control to the sink passes only when the sink recorded the control’s own canary', async () => {
    const attack = syntheticAttack({ id: 'T13', expected: EXPECT_BLOCKED_BY_CNI });
    const toSink = { ...attack, control: (context: Parameters<typeof attack.control>[0]) => ({ ...attack.control(context), kind: 'same-destination' as const, proof: 'sink-canary' as const }) };
    const silent = cluster(byRole({ signal: 'timeout', evidence: [NFT_DENY] }, { signal: 'delivered', delivers: false }));
    const unproven = await executeAttack(silent, toSink, options);
    expect(unproven.outcome).toBe('inconclusive');
    expect(unproven.control).toMatchObject({ passed: false, result: 'failed', signal: 'delivered' });
    const heard = cluster(byRole({ signal: 'timeout', evidence: [NFT_DENY] }, { signal: 'delivered', delivers: true }));
    expect((await executeAttack(heard, toSink, options)).outcome).toBe('blocked');
  });

  describe('packet-capture (eavesdropping)', () => {
    const EXPECT_SIDECAR: Expectation = { outcome: 'blocked', blockedBy: 'mesh-sidecar', certainty: 'documented', source: 'test' };
    const victimFlow = `10.244.0.10>${SYNTHETIC_CAPTURED_IP}.8080`;
    /** The sniffer reports its capture open at once unless the test scripts its own lines. */
    const roles = (sniffer: ScriptedRun, control: ScriptedRun, victim: ScriptedRun): Replay => (pod) => {
      const name = pod.metadata?.name ?? '';
      const opening = sniffer.streams === undefined && sniffer.capture === undefined ? { ...sniffer, streams: [{ atMs: 0, line: CAPTURE_OPEN_LINE }] } : sniffer;
      return name.includes('-victim-') ? victim : name.includes('-control-') ? control : opening;
    };

    it('allowed when the capture holds the canary; the capture is the evidence, matched on the canary', async () => {
      const memory = cluster(roles({ signal: 'delivered', fields: { packets: 12, canary_seen: 1, flows: victimFlow } }, { signal: 'delivered' }, { signal: 'http-ok' }));
      const cell = await executeAttack(memory, syntheticAttack({ id: 'P1', success: 'packet-capture', expected: EXPECT_ALLOWED }), options);
      expect(cell).toMatchObject({ outcome: 'allowed', asExpected: true });
      expect(cell.evidence).toEqual([expect.objectContaining({ source: 'packet-capture', layer: 'none', matched: ['canary'] })]);
      expect(memory.podsCreated.some((name) => name.includes('-victim-'))).toBe(true);
      expect([...memory.podsDeleted].sort()).toEqual([...memory.podsCreated].sort());
    });

    it('blocked by the encrypting layer only with the victim flow captured, the victim answered and the control passed', async () => {
      const sniffed = { signal: 'delivered' as const, fields: { packets: 12, canary_seen: 0, flows: victimFlow } };
      const blocked = await executeAttack(cluster(roles(sniffed, { signal: 'delivered' }, { signal: 'http-ok' })), syntheticAttack({ id: 'P2', success: 'packet-capture', expected: EXPECT_SIDECAR }), options);
      expect(blocked).toMatchObject({ outcome: 'blocked', blockedBy: 'mesh-sidecar', confidence: 'confirmed', asExpected: true });

      const noControl = await executeAttack(cluster(roles(sniffed, { signal: 'timeout' }, { signal: 'http-ok' })), syntheticAttack({ id: 'P3', success: 'packet-capture', expected: EXPECT_SIDECAR }), options);
      expect(noControl.outcome).toBe('inconclusive');
      const victimFailed = await executeAttack(cluster(roles(sniffed, { signal: 'delivered' }, { signal: 'timeout' })), syntheticAttack({ id: 'P4', success: 'packet-capture', expected: EXPECT_SIDECAR }), options);
      expect(victimFailed.outcome).toBe('inconclusive');
      const otherFlows = { signal: 'delivered' as const, fields: { packets: 3, canary_seen: 0, flows: `172.18.0.3>${SYNTHETIC_CAPTURED_IP}.8080` } };
      const missed = await executeAttack(cluster(roles(otherFlows, { signal: 'delivered' }, { signal: 'http-ok' })), syntheticAttack({ id: 'P5', success: 'packet-capture', expected: EXPECT_SIDECAR }), options);
      expect(missed.outcome).toBe('inconclusive');
    });

    it('the victim sends only once the capture reported open: a capture that opens late still sees the canary', async () => {
      // The capture opens 2.5 s into the sniffer's script, later than any fixed lead of 2 s; it sees the canary only
      // when the victim's script starts after that.
      const late = { signal: 'delivered' as const, delayMs: 3_500, capture: { opensAfterMs: 2_500 }, fields: { packets: 12, flows: victimFlow } };
      const memory = cluster(roles(late, { signal: 'delivered' }, { signal: 'http-ok' }));
      const cell = await executeAttack(memory, syntheticAttack({ id: 'P7', success: 'packet-capture', expected: EXPECT_ALLOWED }), options);
      expect(cell).toMatchObject({ outcome: 'allowed', asExpected: true });
      expect(cell.evidence).toEqual([expect.objectContaining({ source: 'packet-capture', matched: ['canary'] })]);
    });

    it('the capture ends once the victim returned: its own stop token is sent in its own pod, not a fixed window later', async () => {
      // Bound far past the victim: the old fixed window would have kept the sniffer running all of it.
      const bound = 8_000;
      const sniffer = { signal: 'delivered' as const, delayMs: bound, capture: { opensAfterMs: 0 }, fields: { packets: 12, flows: victimFlow } };
      const memory = cluster(roles(sniffer, { signal: 'delivered' }, { signal: 'http-ok', sendsAfterMs: 150, delayMs: 300 }));
      const cell = await executeAttack(memory, syntheticAttack({ id: 'P11', success: 'packet-capture', expected: EXPECT_ALLOWED }), options);
      expect(cell).toMatchObject({ outcome: 'allowed', asExpected: true });
      expect(cell.timings.attemptMs).toBeLessThan(300 + TIMEOUTS.captureDrainMs + 1_500);
      const snifferPod = memory.scriptsRun.find((name) => name.includes('-attempt-'));
      const token = memory.scriptEnv.get(snifferPod ?? '')?.CAPTURE_STOP_TOKEN;
      expect(token).toMatch(/^[0-9a-f]{16}$/);
      expect(memory.stopsSent).toEqual([{ pod: snifferPod, token, matched: true }]);
      expect(cell.reason).toContain(`stop sent ${TIMEOUTS.captureDrainMs} ms after the victim's request returned`);
      // The capture lists the victim's own flows: the victim pod's address is handed over once both pods exist.
      expect(memory.scriptEnv.get(snifferPod ?? '')?.CAPTURE_PEER).toBe('10.244.0.10');
    });

    it('a victim slow to send (a loaded machine) is still inside the capture, which then ends on the victim, not its bound', async () => {
      const sniffer = { signal: 'delivered' as const, delayMs: 7_000, capture: { opensAfterMs: 100 }, fields: { packets: 12, flows: victimFlow } };
      const memory = cluster(roles(sniffer, { signal: 'delivered' }, { signal: 'http-ok', sendsAfterMs: 2_500, delayMs: 2_600 }));
      const started = performance.now();
      const cell = await executeAttack(memory, syntheticAttack({ id: 'P12', success: 'packet-capture', expected: EXPECT_ALLOWED }), options);
      expect(cell).toMatchObject({ outcome: 'allowed', asExpected: true });
      expect(cell.evidence).toEqual([expect.objectContaining({ source: 'packet-capture', matched: ['canary'] })]);
      expect(performance.now() - started).toBeLessThan(6_000);
    }, 15_000);

    it('a victim that fails still ends the capture, and the cell stays inconclusive, never blocked', async () => {
      const sniffer = { signal: 'delivered' as const, delayMs: 8_000, capture: { opensAfterMs: 0 }, fields: { packets: 0, flows: '' } };
      const memory = cluster(roles(sniffer, { signal: 'delivered' }, { signal: 'timeout', delayMs: 200 }));
      const cell = await executeAttack(memory, syntheticAttack({ id: 'P13', success: 'packet-capture', expected: EXPECT_SIDECAR }), options);
      expect(cell.outcome).toBe('inconclusive');
      expect(cell.reason).toContain("permitted client's request failed");
      expect(memory.stopsSent).toHaveLength(1);
      expect(cell.timings.attemptMs).toBeLessThan(200 + TIMEOUTS.captureDrainMs + 1_500);
    });

    it('a capture that does not take the stop (no marker seen) runs to its own bound and reads as before', async () => {
      const streamed = { signal: 'delivered' as const, delayMs: 1_500, streams: [{ atMs: 0, line: CAPTURE_OPEN_LINE }], fields: { packets: 12, canary_seen: 0, flows: victimFlow } };
      const memory = cluster(roles(streamed, { signal: 'delivered' }, { signal: 'http-ok' }));
      const cell = await executeAttack(memory, syntheticAttack({ id: 'P14', success: 'packet-capture', expected: EXPECT_SIDECAR }), options);
      expect(cell).toMatchObject({ outcome: 'blocked', blockedBy: 'mesh-sidecar' });
      expect(memory.stopsSent).toEqual([expect.objectContaining({ matched: false })]);
      expect(cell.timings.attemptMs).toBeGreaterThanOrEqual(1_400);
    });

    it('no open line within the budget: error naming it, no victim request, every pod deleted', async () => {
      const never = { signal: 'delivered' as const, delayMs: TIMEOUTS.captureOpenMs + 200, streams: [], fields: { packets: 0, canary_seen: 0, flows: '' } };
      const memory = cluster(roles(never, { signal: 'delivered' }, { signal: 'http-ok' }));
      const cell = await executeAttack(memory, syntheticAttack({ id: 'P8', success: 'packet-capture', expected: EXPECT_SIDECAR }), options);
      expect(cell.outcome).toBe('error');
      expect(cell.reason).toContain(`did not report open ("${CAPTURE_OPEN_LINE}") within ${TIMEOUTS.captureOpenMs} ms`);
      expect(memory.scriptsRun.some((name) => name.includes('-victim-'))).toBe(false);
      expect([...memory.podsDeleted].sort()).toEqual([...memory.podsCreated].sort());
    }, 15_000);

    it('a sniffer that ends before its capture opened keeps its own failure, and any other end is an error', async () => {
      const denied = cluster(roles({ signal: 'permission-denied', streams: [] }, { signal: 'delivered' }, { signal: 'http-ok' }));
      const inconclusive = await executeAttack(denied, syntheticAttack({ id: 'P9', success: 'packet-capture', expected: EXPECT_SIDECAR }), options);
      expect(inconclusive).toMatchObject({ outcome: 'inconclusive', reason: 'the sniffer lacked the privilege to capture' });
      const silent = cluster(roles({ signal: 'delivered', streams: [], fields: { packets: 3, canary_seen: 1, flows: victimFlow } }, { signal: 'delivered' }, { signal: 'http-ok' }));
      const cell = await executeAttack(silent, syntheticAttack({ id: 'P10', success: 'packet-capture', expected: EXPECT_ALLOWED }), options);
      expect(cell.outcome).toBe('error');
      expect(cell.reason).toContain('ended without reporting its capture open');
      expect(silent.scriptsRun.some((name) => name.includes('-victim-'))).toBe(false);
    });

    it('a capture without its report is an error, never blocked', async () => {
      const cell = await executeAttack(cluster(roles({ signal: 'delivered' }, { signal: 'delivered' }, { signal: 'http-ok' })), syntheticAttack({ id: 'P6', success: 'packet-capture', expected: EXPECT_SIDECAR }), options);
      expect(cell.outcome).toBe('error');
    });
  });
});
