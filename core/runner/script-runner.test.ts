import { describe, expect, it } from 'vitest';
import { MEMORY_ADDRESSES, MemoryCluster, type ScriptedRun } from '../../clusters/memory/memory-cluster.ts';
import { labProfiles } from '../config/profiles-config.ts';
import { stackTraits, type Profile } from '../domain/profile.ts';
import { stopCommand } from '../../attack-pods/script-stop.ts';
import { preparePlan } from './script-runner.ts';
import { SYNTHETIC_CAPTURED_IP, syntheticAttack, EXPECT_ALLOWED } from './testing/synthetic-attack.ts';

const profile = labProfiles()[0] as Profile;
const attack = syntheticAttack({ id: 'R1', success: 'packet-capture', expected: EXPECT_ALLOWED });
const plan = attack.attempt({ stack: stackTraits(profile), canary: 'bm00000000000000aa', addresses: MEMORY_ADDRESSES });
const script = () => 'true';

async function prepared(run: ScriptedRun): Promise<{ memory: MemoryCluster; prepared: Awaited<ReturnType<typeof preparePlan>> }> {
  const memory = new MemoryCluster(profile, () => run);
  return { memory, prepared: await preparePlan(memory, plan, 1_000, script) };
}

describe('preparePlan: start with env known once the pods exist, stop by a command in the same pod', () => {
  it('adds start-time variables to the plan’s own, and never replaces one the plan set', async () => {
    const { memory, prepared: ready } = await prepared({ signal: 'delivered' });
    expect(ready.pod?.ip).toBe('10.244.0.10');
    await ready.start({ CAPTURE_PEER: '10.244.0.11' }).done;
    expect(memory.scriptEnv.get(ready.pod?.name ?? '')).toEqual({ ...plan.env, CAPTURE_PEER: '10.244.0.11' });
    const again = (await prepared({ signal: 'delivered' })).prepared;
    await expect(again.start({ CANARY: 'bm11111111111111ff' }).done).rejects.toThrow('already sets CANARY: refusing to replace it at start');
  });

  it('stop: runs the stop command in the pod while the capture runs; ended once it is over', async () => {
    const token = '0123456789abcdef';
    const { memory, prepared: capture } = await prepared({ signal: 'delivered', delayMs: 5_000, capture: { opensAfterMs: 0 }, fields: { packets: 1, flows: `10.244.0.10>${SYNTHETIC_CAPTURED_IP}.8080` } });
    const started = capture.start({ CAPTURE_STOP_TOKEN: token });
    expect((await started.waitForLine('BM-READY capture-open', 1_000)).status).toBe('seen');
    const before = performance.now();
    expect(await started.stop(stopCommand(token), 1_000)).toEqual({ status: 'sent' });
    await started.done;
    expect(performance.now() - before).toBeLessThan(1_000);
    expect(await started.stop(stopCommand(token), 1_000)).toEqual({ status: 'ended' });
    expect(memory.stopsSent).toEqual([{ pod: capture.pod?.name, token, matched: true }]);
  });
});
