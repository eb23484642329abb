import { chmod, lstat, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryCluster, memoryProvider, type Replay } from '../../clusters/memory/memory-cluster.ts';
import { labProfiles } from '../config/profiles-config.ts';
import type { Cell } from '../domain/cell.ts';
import type { Profile } from '../domain/profile.ts';
import { AttackBroker, BROKER_DIR_PREFIX, privateBrokerSocketPath, sweepStaleBrokerSockets, type BrokerOptions } from './attack-broker.ts';
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

  describe('a registered profile runs its attacks without being asked', () => {
    const profile = labProfiles().find((candidate) => candidate.id === 'lab:netpol') as Profile;
    const attacks = ['P1', 'P2', 'P3'].map((id) => syntheticAttack({ id, expected: EXPECT_BLOCKED_BY_CNI }));
    /** Attempts are slow enough (P1 slowest) that a test can act while one runs and the next is queued. */
    const replay: Replay = (pod) => {
      const name = pod.metadata?.name ?? '';
      if (name.includes('-control-')) return { signal: 'delivered', delayMs: 5 };
      return { signal: 'timeout', delayMs: name.startsWith('p1-') ? 400 : 50, evidence: [{ layer: 'cni', source: 'nft-counter', verdict: 'denied', raw: 'drop' }] };
    };

    interface Watched {
      readonly broker: AttackBroker;
      readonly socketPath: string;
      readonly started: string[];
      readonly finished: Cell[];
      /** Attempt pods created per attack: one execution makes one attempt (no control retries here). */
      readonly attempts: () => Record<string, number>;
      readonly register: () => Promise<void>;
    }

    async function watchedBroker(overrides: Partial<BrokerOptions> = {}): Promise<Watched> {
      const socketPath = await privateBrokerSocketPath();
      const started: string[] = [];
      const finished: Cell[] = [];
      const cluster = new MemoryCluster(profile, replay);
      const broker = await AttackBroker.start({
        socketPath,
        runId: 'broker-prefetch',
        attacks,
        concurrency: 1,
        podReadyMs: 1_000,
        controlRetries: 0,
        onCell: async (cell) => {
          finished.push(cell);
          return cell;
        },
        onStart: (_profileId, attackId) => started.push(attackId),
        scripts: () => 'true',
        ...overrides,
      });
      const attempts = (): Record<string, number> => {
        const counts: Record<string, number> = {};
        for (const name of cluster.podsCreated.filter((pod) => pod.includes('-attempt-'))) {
          const id = name.split('-')[0]?.toUpperCase() ?? '';
          counts[id] = (counts[id] ?? 0) + 1;
        }
        return counts;
      };
      return { broker, socketPath, started, finished, attempts, register: async () => broker.register(profile.id, { cluster, addresses: await cluster.addresses() }) };
    }

    async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!condition()) {
        if (Date.now() > deadline) throw new Error('condition not reached');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }

    it('starts every attack in catalogue order at registration and records each cell, before any request', async () => {
      const watched = await watchedBroker();
      try {
        await watched.register();
        await until(() => watched.finished.length === attacks.length);
        expect(watched.started).toEqual(['P1', 'P2', 'P3']);
        expect(watched.finished.map((cell) => `${cell.profileId} ${cell.attackId} ${cell.outcome}`)).toEqual(['lab:netpol P1 blocked', 'lab:netpol P2 blocked', 'lab:netpol P3 blocked']);
        expect(watched.attempts()).toEqual({ P1: 1, P2: 1, P3: 1 });
      } finally {
        await watched.broker.close();
      }
    });

    it('a request after the cell finished gets that same cell; nothing runs again', async () => {
      const watched = await watchedBroker();
      try {
        await watched.register();
        await until(() => watched.finished.length === attacks.length);
        const recorded = watched.finished.find((cell) => cell.attackId === 'P2');
        expect(await watched.broker.execute({ profileId: profile.id, attackId: 'P2' })).toBe(recorded);
        expect(await requestCell(watched.socketPath, { profileId: profile.id, attackId: 'P2' })).toEqual(recorded);
        expect(watched.attempts()).toEqual({ P1: 1, P2: 1, P3: 1 });
        expect(watched.started).toEqual(['P1', 'P2', 'P3']);
      } finally {
        await watched.broker.close();
      }
    });

    it('requests for a cell still running or queued join its one execution', async () => {
      const watched = await watchedBroker();
      try {
        await watched.register();
        // P1 runs (400 ms), P3 is queued behind it: two requests each, over the socket.
        const asked = await Promise.all([
          requestCell(watched.socketPath, { profileId: profile.id, attackId: 'P1' }),
          requestCell(watched.socketPath, { profileId: profile.id, attackId: 'P1' }),
          requestCell(watched.socketPath, { profileId: profile.id, attackId: 'P3' }),
          watched.broker.execute({ profileId: profile.id, attackId: 'P3' }),
        ]);
        expect(asked.map((cell) => cell.attackId)).toEqual(['P1', 'P1', 'P3', 'P3']);
        expect(asked[0]).toEqual(asked[1]);
        expect(asked[2]).toEqual(asked[3]);
        expect(watched.attempts()).toEqual({ P1: 1, P2: 1, P3: 1 });
        expect(watched.finished).toHaveLength(attacks.length);
      } finally {
        await watched.broker.close();
      }
    });

    it('an interrupt lets the running attack finish; queued ones never start, record nothing and answer their requests with an error', async () => {
      const watched = await watchedBroker();
      try {
        await watched.register();
        await until(() => watched.started.length === 1);
        const running = requestCell(watched.socketPath, { profileId: profile.id, attackId: 'P1' });
        const queued = requestCell(watched.socketPath, { profileId: profile.id, attackId: 'P2' });
        await new Promise((resolve) => setTimeout(resolve, 50));
        watched.broker.stopAccepting();
        await expect(queued).rejects.toThrow('run interrupted before this attack started');
        expect((await running).attackId).toBe('P1');
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(watched.started).toEqual(['P1']);
        expect(watched.finished.map((cell) => cell.attackId)).toEqual(['P1']);
        expect(watched.attempts()).toEqual({ P1: 1 });
        // Asked only after the interrupt: the finished cell is still its answer, the unstarted one still an error.
        expect((await watched.broker.execute({ profileId: profile.id, attackId: 'P1' })).attackId).toBe('P1');
        await expect(watched.broker.execute({ profileId: profile.id, attackId: 'P3' })).rejects.toThrow('run interrupted before this attack started');
      } finally {
        await watched.broker.close();
      }
    });

    it('a profile registered after the interrupt starts nothing', async () => {
      const watched = await watchedBroker();
      try {
        watched.broker.stopAccepting();
        await watched.register();
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(watched.started).toEqual([]);
        await expect(watched.broker.execute({ profileId: profile.id, attackId: 'P1' })).rejects.toThrow('run interrupted before this attack started');
      } finally {
        await watched.broker.close();
      }
    });

    it('never runs a recorded (not-applicable) cell and answers it as recorded', async () => {
      const notApplicable = { profileId: profile.id, attackId: 'P2', outcome: 'not-applicable', reason: 'not on this stack' } as unknown as Cell;
      const watched = await watchedBroker({ recorded: (profileId, attackId) => (profileId === profile.id && attackId === 'P2' ? notApplicable : undefined) });
      try {
        await watched.register();
        await until(() => watched.finished.length === 2);
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(watched.started).toEqual(['P1', 'P3']);
        expect(watched.attempts()).toEqual({ P1: 1, P3: 1 });
        expect(await watched.broker.execute({ profileId: profile.id, attackId: 'P2' })).toBe(notApplicable);
      } finally {
        await watched.broker.close();
      }
    });

    it('an execution that throws reaches the test that asks for it; unknown attacks and profiles are refused', async () => {
      const watched = await watchedBroker({
        onCell: async (cell) => {
          if (cell.attackId === 'P2') throw new Error('results.jsonl is gone');
          return cell;
        },
      });
      try {
        await watched.register();
        await expect(requestCell(watched.socketPath, { profileId: profile.id, attackId: 'P2' })).rejects.toThrow('results.jsonl is gone');
        await expect(requestCell(watched.socketPath, { profileId: profile.id, attackId: 'P9' })).rejects.toThrow('unknown attack P9');
        await expect(requestCell(watched.socketPath, { profileId: 'lab:nothing', attackId: 'P1' })).rejects.toThrow('no cluster registered for profile lab:nothing');
        expect(watched.attempts()).toEqual({ P1: 1, P2: 1, P3: 1 });
      } finally {
        await watched.broker.close();
      }
    });
  });
});
