import { chmod, lstat, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { memoryProvider } from '../../clusters/memory/memory-cluster.ts';
import { labProfiles } from '../config/profiles-config.ts';
import type { Cell } from '../domain/cell.ts';
import type { Profile } from '../domain/profile.ts';
import { AttackBroker, BROKER_DIR_PREFIX, privateBrokerSocketPath, sweepStaleBrokerSockets } from './attack-broker.ts';
import { EXPECT_BLOCKED_BY_CNI, syntheticAttack } from './testing/synthetic-attack.ts';
import { requestCell } from './broker-client.ts';

/** A unix socket file nobody listens on, as a SIGKILLed run leaves it. */
async function staleSocket(path: string): Promise<void> {
  await execa('python3', ['-c', 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', path]);
}

function startBroker(socketPath: string): Promise<AttackBroker> {
  return AttackBroker.start({ socketPath, runId: 'broker-test', attacks: [], concurrency: 1, podReadyMs: 1_000, controlRetries: 0, onCell: async (cell) => cell });
}

describe('attack broker socket', () => {
  const made: string[] = [];
  afterAll(async () => {
    for (const dir of made) await rm(dir, { recursive: true, force: true });
  });

  it('under umask 000 lives alone in a 0700 folder, answers root only, and leaves nothing at close', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'bm-broker-'));
    made.push(parent);
    // A TMPDIR like /tmp: everyone may enter and create there.
    await chmod(parent, 0o1777);
    const previous = process.umask(0o000);
    let broker: AttackBroker | undefined;
    try {
      const socketPath = await privateBrokerSocketPath(parent);
      broker = await startBroker(socketPath);
      const folder = await lstat(join(socketPath, '..'));
      expect((folder.mode & 0o7777).toString(8)).toBe('700');
      expect(((await lstat(socketPath)).mode & 0o777).toString(8)).toBe('600');
      const curl = ['curl', '-sS', '--unix-socket', socketPath, '-X', 'POST', '-d', '{}', 'http://broker/execute'];
      const asRoot = await execa(curl[0] ?? 'curl', curl.slice(1), { reject: false });
      expect(asRoot.stdout).toContain('error');
      const asOther = await execa('setpriv', ['--reuid', '1337', '--regid', '1337', '--clear-groups', ...curl], { reject: false, cwd: '/' });
      expect(asOther.exitCode).toBe(7);
      expect(asOther.stdout).toBe('');
    } finally {
      process.umask(previous);
      await broker?.close();
    }
    expect(await readdir(parent)).toEqual([]);
  });

  it('clean sweeps sockets of runs that are gone and keeps a live one (only in the folder it is given)', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'bm-broker-sweep-'));
    made.push(parent);
    const live = await startBroker(await privateBrokerSocketPath(parent));
    try {
      const staleDir = await mkdtemp(join(parent, BROKER_DIR_PREFIX));
      await staleSocket(join(staleDir, 'broker.sock'));
      const legacy = join(parent, 'breachmatrix-r0ld.sock');
      await staleSocket(legacy);
      await writeFile(join(parent, 'breachmatrix-notes.txt'), 'not a socket');
      const justMade = await mkdtemp(join(parent, BROKER_DIR_PREFIX));

      const removed = await sweepStaleBrokerSockets(parent);
      expect(removed.sort()).toEqual([staleDir, legacy].sort());
      const left = await readdir(parent);
      expect(left).toContain('breachmatrix-notes.txt');
      expect(left).toContain(justMade.split('/').at(-1));
      expect(left.filter((name) => name.startsWith(BROKER_DIR_PREFIX))).toHaveLength(2);
    } finally {
      await live.close();
    }
  });

  describe('a profile announced before its cluster is ready', () => {
    const profile = labProfiles().find((candidate) => candidate.id === 'lab:netpol') as Profile;
    const attack = syntheticAttack({ id: 'W1', expected: EXPECT_BLOCKED_BY_CNI });
    const replay = () => ({ signal: 'delivered' as const, delayMs: 5 });

    async function announcedBroker(recorded: Map<string, Cell>): Promise<{ broker: AttackBroker; socketPath: string }> {
      const socketPath = await privateBrokerSocketPath();
      const broker = await AttackBroker.start({
        socketPath,
        runId: 'broker-wait',
        attacks: [attack],
        concurrency: 1,
        podReadyMs: 1_000,
        controlRetries: 0,
        onCell: async (cell) => cell,
        recorded: (profileId, attackId) => recorded.get(`${profileId}/${attackId}`),
        scripts: () => 'true',
      });
      broker.announce(profile.id);
      return { broker, socketPath };
    }

    it('holds a request until the cluster is registered, then runs it', async () => {
      const { broker, socketPath } = await announcedBroker(new Map());
      try {
        let answered = false;
        const cell = requestCell(socketPath, { profileId: profile.id, attackId: 'W1' }).finally(() => {
          answered = true;
        });
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(answered).toBe(false);
        const cluster = await memoryProvider(replay).create(profile, { runId: 'broker-wait', onProgress: () => {}, signal: new AbortController().signal });
        broker.register(profile.id, { cluster, addresses: await cluster.addresses() });
        expect((await cell).profileId).toBe(profile.id);
        expect((await cell).attempts).toBe(1);
      } finally {
        await broker.close();
      }
    });

    it('answers a waiting request of an abandoned profile with its recorded cell and runs nothing', async () => {
      const recorded = new Map<string, Cell>();
      const { broker, socketPath } = await announcedBroker(recorded);
      try {
        const cell = requestCell(socketPath, { profileId: profile.id, attackId: 'W1' });
        await new Promise((resolve) => setTimeout(resolve, 200));
        const error = { profileId: profile.id, attackId: 'W1', outcome: 'error', reason: 'calico-node not ready' } as unknown as Cell;
        recorded.set(`${profile.id}/W1`, error);
        broker.abandon(profile.id);
        expect(await cell).toEqual(error);
      } finally {
        await broker.close();
      }
    });

    it('an interrupt answers waiting requests with an error instead of leaving them hanging', async () => {
      const { broker, socketPath } = await announcedBroker(new Map());
      try {
        const cell = requestCell(socketPath, { profileId: profile.id, attackId: 'W1' });
        await new Promise((resolve) => setTimeout(resolve, 200));
        broker.stopAccepting();
        await expect(cell).rejects.toThrow('run interrupted before this attack started');
      } finally {
        await broker.close();
      }
    });
  });
});
