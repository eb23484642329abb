import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findAttacks } from '../../attack-pods/catalogue/index.ts';
import type { AttackDefinition } from '../../core/domain/attack.ts';
import type { SceneAddresses } from '../../core/domain/scene-addresses.ts';
import { executeAttack } from '../../core/runner/execute-attack.ts';
import { TIMEOUTS } from '../../core/timeouts.ts';
import { renderSceneObjects } from '../../manifests/render-scene-objects.ts';
import { LabCluster } from './lab-cluster.ts';
import { labProfile } from './testing/lab-profile.ts';

// The rated catalogue entries (severity and fixes attached), as the runner gets them.
function attack(id: string): AttackDefinition {
  const [found] = findAttacks([id]);
  if (found === undefined) throw new Error(`no attack ${id} in the catalogue`);
  return found;
}
const SC7 = attack('SC7');
const LM2 = attack('LM2');

/**
 * Fault injection, real kernel (root): `kill -9` of api's sidecar proxy on lab:sidecar. SC7 and LM2 are expected
 * allowed; with api's proxy dead they used to read "blocked by mesh-sidecar (inferred)" with a DNS control
 * "passed". Now their controls walk the attempt's path and api's liveness is checked: error or inconclusive, never
 * blocked.
 */
describe('a killed destination proxy never reads as blocked (lab:sidecar)', () => {
  let lab: LabCluster;
  let addresses: SceneAddresses;
  const options = () => ({ runId: 'it-dead', addresses, podReadyMs: TIMEOUTS.labPodReadyMs, controlRetries: 1 });

  beforeAll(async () => {
    const profile = labProfile('lab:sidecar');
    lab = await LabCluster.create(profile, { runId: 'it-dead', onProgress: () => undefined });
    for (const batch of renderSceneObjects(profile)) await lab.apply(batch);
    addresses = await lab.addresses();
  }, 120_000);

  afterAll(async () => {
    await lab?.teardown();
  });

  /** The haproxy processes in this lab's namespace that holds api's pod IP (never another lab's). */
  function apiProxyPids(): number[] {
    const apiIp = addresses.workloads['bm-app/api']?.podIp;
    if (apiIp === undefined) throw new Error('no api address');
    const prefix = lab.name;
    return readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .map(Number)
      .filter((pid) => {
        try {
          if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'haproxy') return false;
          const netns = execFileSync('ip', ['netns', 'identify', String(pid)], { encoding: 'utf8' }).trim();
          if (!netns.startsWith(prefix)) return false;
          return execFileSync('ip', ['-n', netns, '-4', '-o', 'addr'], { encoding: 'utf8' }).includes(` ${apiIp}/`);
        } catch {
          return false;
        }
      });
  }

  it('reads SC7 and LM2 as allowed while api is healthy (the setup is right)', async () => {
    const [sc7, lm2] = await Promise.all([executeAttack(lab, SC7, options()), executeAttack(lab, LM2, options())]);
    expect([sc7.outcome, lm2.outcome]).toEqual(['allowed', 'allowed']);
    expect(sc7.control).toMatchObject({ kind: 'same-destination', result: 'passed' });
    expect(lm2.control).toMatchObject({ kind: 'same-destination', result: 'passed' });
  }, 120_000);

  it('after kill -9 of api’s proxy: error (naming the dead proxy) or inconclusive, never blocked', async () => {
    const pids = apiProxyPids();
    expect(pids.length).toBeGreaterThan(0);
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    const [sc7, lm2] = await Promise.all([executeAttack(lab, SC7, options()), executeAttack(lab, LM2, options())]);
    for (const cell of [sc7, lm2]) {
      expect(cell.outcome).not.toBe('blocked');
      expect(['error', 'inconclusive']).toContain(cell.outcome);
      expect(cell.control?.passed).toBe(false);
    }
    const errors = [sc7, lm2].filter((cell) => cell.outcome === 'error');
    for (const cell of errors) expect(cell.reason).toMatch(/sidecar proxy is not running|killed by SIGKILL/);
    // The liveness check is what turns these into errors: the attempts were refused and the controls failed.
    expect(errors.length).toBeGreaterThan(0);
  }, 120_000);
});
