import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { chmod, lstat, mkdtemp, readdir, rm, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import pLimit, { type LimitFunction } from 'p-limit';
import type { AttackDefinition } from '../domain/attack.ts';
import type { Cell } from '../domain/cell.ts';
import type { Cluster } from '../domain/cluster.ts';
import type { SceneAddresses } from '../domain/scene-addresses.ts';
import { TIMEOUTS } from '../timeouts.ts';
import { executeAttack, type ExecuteOptions } from './execute-attack.ts';
import { ControlClients } from './control-clients.ts';
import { cellKey } from './runner-cells.ts';
import type { ScriptSource } from './script-runner.ts';

export interface BrokerProfile {
  readonly cluster: Cluster;
  readonly addresses: SceneAddresses;
}

export interface BrokerOptions {
  readonly socketPath: string;
  readonly runId: string;
  readonly attacks: readonly AttackDefinition[];
  /** Attacks running at once per profile. */
  readonly concurrency: number;
  readonly podReadyMs: number;
  readonly controlRetries: number;
  /**
   * Called once with every finished cell, as it finishes (asked for or not yet); returns the cell as recorded (the
   * runner may record an interrupted attempt as `not-run`), which is what every test asking for it gets.
   */
  readonly onCell: (cell: Cell) => Promise<Cell>;
  /** Cells the runner recorded before any attempt (not-applicable ones): answered as they are, never re-run. */
  readonly recorded?: (profileId: string, attackId: string) => Cell | undefined;
  readonly onStart?: (profileId: string, attackId: string) => void;
  /** Tests inject a script source; the catalogue's loader otherwise. */
  readonly scripts?: ScriptSource;
}

/** Every broker socket lives alone in a 0700 folder named so, in TMPDIR: only root reaches it, whatever the umask. */
export const BROKER_DIR_PREFIX = 'breachmatrix-broker-';
const BROKER_SOCKET_NAME = 'broker.sock';

/** A fresh 0700 folder of the broker's own (mkdtemp) and the socket path in it. */
export async function privateBrokerSocketPath(parent: string = tmpdir()): Promise<string> {
  const dir = await mkdtemp(join(parent, BROKER_DIR_PREFIX));
  await chmod(dir, 0o700);
  return join(dir, BROKER_SOCKET_NAME);
}

/** What `connect` says: a socket nobody listens on is refused. */
function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Removes broker sockets of runs that are gone: this user's `breachmatrix-broker-*` folders whose socket no longer
 * answers (or that hold none past a minute: a starting run fills its folder at once), and pre-0700-folder
 * `breachmatrix-*.sock` sockets left in `parent`. A socket that answers belongs to a live run and stays.
 */
export async function sweepStaleBrokerSockets(parent: string = tmpdir()): Promise<string[]> {
  const removed: string[] = [];
  const uid = process.getuid?.();
  for (const name of await readdir(parent).catch(() => [] as string[])) {
    const path = join(parent, name);
    const info = await lstat(path).catch(() => undefined);
    if (info === undefined || info.uid !== uid) continue;
    if (name.startsWith(BROKER_DIR_PREFIX) && info.isDirectory()) {
      const socket = join(path, BROKER_SOCKET_NAME);
      const present = await lstat(socket).then((entry) => entry.isSocket(), () => false);
      const stale = present ? !(await socketAnswers(socket)) : Date.now() - info.mtimeMs > TIMEOUTS.brokerSocketGraceMs;
      if (stale) {
        await rm(path, { recursive: true, force: true });
        removed.push(path);
      }
    } else if (/^breachmatrix-.+\.sock$/.test(name) && info.isSocket() && !(await socketAnswers(path))) {
      await rm(path, { force: true });
      removed.push(path);
    }
  }
  return removed;
}

export interface ExecuteRequest {
  readonly profileId: string;
  readonly attackId: string;
}

/** The answer of a request whose attack was queued, never started, when the run was interrupted. */
const INTERRUPTED_BEFORE_START = 'run interrupted before this attack started';

/**
 * Clusters live in the runner's process (they own namespaces, processes, kind clusters); vitest runs the attack
 * suites in worker processes. The broker is the bridge. When a profile's cluster is registered, the broker starts
 * every selected attack of it (catalogue order, under the profile's concurrency limit) and records each cell as it
 * finishes; a worker asking "SC1 on lab:sidecar" joins that one execution (running or finished) and gets its cell.
 * Attacks never wait for a suite file to ask, so few workers serve every file. It listens on a unix socket only.
 */
export class AttackBroker {
  private readonly options: BrokerOptions;
  private readonly profiles = new Map<string, BrokerProfile & { readonly limit: LimitFunction; readonly controlClients: ControlClients }>();
  private readonly attacks: ReadonlyMap<string, AttackDefinition>;
  private readonly server: Server;
  private closed = false;
  /** Profiles announced before their cluster is ready: requests wait here instead of being refused. */
  private readonly awaited = new Map<string, { readonly ready: Promise<void>; readonly settle: () => void }>();
  private readonly inFlight = new Map<Promise<unknown>, ExecuteRequest>();
  /** The one execution of each (profile, attack) of this run, by `cellKey`: every request joins it. */
  private readonly executions = new Map<string, Promise<Cell>>();

  private constructor(options: BrokerOptions) {
    this.options = options;
    this.attacks = new Map(options.attacks.map((attack) => [attack.id, attack]));
    this.server = createServer((request, response) => void this.handle(request, response));
  }

  static async start(options: BrokerOptions): Promise<AttackBroker> {
    await rm(options.socketPath, { force: true });
    const broker = new AttackBroker(options);
    await new Promise<void>((resolve, reject) => {
      broker.server.once('error', reject);
      broker.server.listen(options.socketPath, resolve);
    });
    // Its folder already keeps others out; the socket itself says so too.
    await chmod(options.socketPath, 0o600);
    return broker;
  }

  /**
   * A profile whose cluster is still being provisioned: its suites may start now (their workers load while the
   * cluster comes up) and their requests wait until `register` or `abandon`.
   */
  announce(profileId: string): void {
    if (this.awaited.has(profileId) || this.profiles.has(profileId)) return;
    let settle = (): void => {};
    const ready = new Promise<void>((resolve) => {
      settle = resolve;
    });
    this.awaited.set(profileId, { ready, settle });
  }

  /** The profile's cluster is ready: every selected attack of it starts now (none after an interrupt). */
  register(profileId: string, profile: BrokerProfile): void {
    // Queued attacks are rejected (not dropped) when the queue is cleared: their waiting requests get an answer.
    this.profiles.set(profileId, {
      ...profile,
      limit: pLimit({ concurrency: this.options.concurrency, rejectOnClear: true }),
      controlClients: new ControlClients(profile.cluster, this.options.podReadyMs),
    });
    if (!this.closed) {
      for (const attack of this.options.attacks) {
        // Cells the runner recorded (not applicable) are answered as they are, never run.
        if (this.options.recorded?.(profileId, attack.id) === undefined) this.execution(profileId, attack);
      }
    }
    this.release(profileId);
  }

  /**
   * The profile will get no cluster (provisioning or its scene self-test failed): waiting requests are answered
   * from what the runner recorded for them (`recorded`, the error cells), never run.
   */
  abandon(profileId: string): void {
    this.release(profileId);
  }

  /** The profile's cluster goes: attacks still queued never start, and later requests for it are refused. */
  unregister(profileId: string): void {
    this.profiles.get(profileId)?.limit.clearQueue();
    this.profiles.delete(profileId);
    for (const attack of this.options.attacks) this.executions.delete(cellKey(profileId, attack.id));
    this.release(profileId);
  }

  private release(profileId: string): void {
    this.awaited.get(profileId)?.settle();
    this.awaited.delete(profileId);
  }

  /** Stop starting attacks (interrupt): queued and waiting ones are answered with an error, running ones finish. */
  stopAccepting(): void {
    this.closed = true;
    for (const profile of this.profiles.values()) profile.limit.clearQueue();
    for (const profileId of [...this.awaited.keys()]) this.release(profileId);
  }

  async execute(request: ExecuteRequest): Promise<Cell> {
    const attack = this.attacks.get(request.attackId);
    if (attack === undefined) throw new Error(`unknown attack ${request.attackId}`);
    const recordedFirst = this.options.recorded?.(request.profileId, request.attackId);
    if (recordedFirst !== undefined) return recordedFirst;
    await this.awaited.get(request.profileId)?.ready;
    // A profile abandoned while the request waited has its answer recorded by now (its error cell).
    const recorded = this.options.recorded?.(request.profileId, request.attackId);
    if (recorded !== undefined) return recorded;
    // Started at registration: running, finished (even after an interrupt: its cell is recorded), or cleared.
    const started = this.executions.get(cellKey(request.profileId, request.attackId));
    if (started !== undefined) return started;
    if (this.closed) throw new Error(INTERRUPTED_BEFORE_START);
    if (!this.profiles.has(request.profileId)) throw new Error(`no cluster registered for profile ${request.profileId}`);
    return this.execution(request.profileId, attack);
  }

  /** The one execution of (profile, attack): started on first call under the profile's limit, joined after. */
  private execution(profileId: string, attack: AttackDefinition): Promise<Cell> {
    const key = cellKey(profileId, attack.id);
    const existing = this.executions.get(key);
    if (existing !== undefined) return existing;
    const profile = this.profiles.get(profileId);
    if (profile === undefined) return Promise.reject(new Error(`no cluster registered for profile ${profileId}`));
    const options: ExecuteOptions = {
      runId: this.options.runId,
      addresses: profile.addresses,
      podReadyMs: this.options.podReadyMs,
      controlRetries: this.options.controlRetries,
      controlClients: profile.controlClients,
      ...(this.options.scripts ? { scripts: this.options.scripts } : {}),
    };
    let began = false;
    const execution = profile
      .limit(async () => {
        if (this.closed) throw new Error(INTERRUPTED_BEFORE_START);
        began = true;
        this.options.onStart?.(profileId, attack.id);
        const running = executeAttack(profile.cluster, attack, options).then((cell) => this.options.onCell(cell));
        this.inFlight.set(running, { profileId, attackId: attack.id });
        try {
          return await running;
        } finally {
          this.inFlight.delete(running);
        }
      })
      .catch((error: unknown) => {
        if (began) throw error;
        // Cleared from the queue (interrupt, or its profile unregistered) before it started: nothing ran.
        throw new Error(this.closed ? INTERRUPTED_BEFORE_START : `profile ${profileId} was unregistered before this attack started`);
      });
    // Its answer goes to whichever requests join it; an execution nobody asks for must not be an unhandled rejection.
    execution.catch(() => undefined);
    this.executions.set(key, execution);
    return execution;
  }

  /** Wait (bounded) for attacks already running, so their cells are recorded before teardown. */
  async drain(timeoutMs: number): Promise<void> {
    const all = Promise.allSettled([...this.inFlight.keys()]);
    await Promise.race([all, new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
  }

  /** Attacks still running (after a bounded drain: those that outlived it). */
  running(profileId?: string): readonly ExecuteRequest[] {
    return [...this.inFlight.values()].filter((request) => profileId === undefined || request.profileId === profileId);
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const reply = (status: number, body: unknown): void => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (request.method !== 'POST' || request.url !== '/execute') return reply(404, { error: 'not found' });
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ExecuteRequest;
      reply(200, { cell: await this.execute(body) });
    } catch (error) {
      reply(500, { error: (error as Error).message });
    }
  }

  async close(): Promise<void> {
    this.stopAccepting();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await rm(this.options.socketPath, { force: true });
    // The folder privateBrokerSocketPath made goes with it (only that one: rmdir of an empty folder).
    if (basename(dirname(this.options.socketPath)).startsWith(BROKER_DIR_PREFIX)) await rmdir(dirname(this.options.socketPath)).catch(() => undefined);
  }
}
