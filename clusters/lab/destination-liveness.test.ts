import { describe, expect, it } from 'vitest';
import { labPodsLiveness, sinkLiveness } from './destination-liveness.ts';
import type { TrackedProcess } from './process-registry.ts';

const since = new Date('2026-05-01T10:00:10Z');
const process = (pid: number, exited: boolean): TrackedProcess => ({ pid, label: 'x', exited: new Promise(() => undefined), hasExited: () => exited });
const api = (overrides: Partial<Parameters<typeof labPodsLiveness>[0][number]> = {}) => ({
  key: 'bm-app/api',
  deleted: false,
  sandboxAlive: true,
  processes: new Map([['app', process(10, false)]]),
  proxy: { running: true },
  ...overrides,
});

describe('labPodsLiveness', () => {
  it('is alive when app, sandbox and proxy run', () => {
    expect(labPodsLiveness([api()], since)).toEqual({ status: 'alive', checked: ['bm-app/api app pid 10', 'bm-app/api istio-proxy'] });
  });

  it('names the killed proxy', () => {
    const killed = labPodsLiveness([api({ proxy: { running: false, death: { at: new Date('2026-05-01T10:00:12Z'), how: 'killed by SIGKILL' } } })], since);
    expect(killed).toEqual({ status: 'dead', died: 'pod bm-app/api: its sidecar proxy is not running (killed by SIGKILL at 2026-05-01T10:00:12.000Z)' });
  });

  it('names the role of a proxy that is not a sidecar: a dead ambient waypoint is a dead destination', () => {
    const waypoint = { key: 'bm-app/waypoint-lab', deleted: false, sandboxAlive: true, processes: new Map(), proxy: { running: false, role: 'waypoint proxy' } };
    expect(labPodsLiveness([api({ proxy: undefined }), waypoint], since)).toEqual({ status: 'dead', died: 'pod bm-app/waypoint-lab: its waypoint proxy is not running' });
    expect(labPodsLiveness([{ ...waypoint, proxy: { running: true, role: 'waypoint proxy' } }], since)).toEqual({ status: 'alive', checked: ['bm-app/waypoint-lab waypoint proxy'] });
  });

  it('a proxy that died in the window and was started again by a reload was not alive throughout', () => {
    expect(labPodsLiveness([api({ proxy: { running: true, death: { at: new Date('2026-05-01T10:00:12Z'), how: 'killed by SIGKILL' } } })], since).status).toBe('dead');
    expect(labPodsLiveness([api({ proxy: { running: true, death: { at: new Date('2026-05-01T09:00:00Z'), how: 'killed by SIGKILL' } } })], since).status).toBe('alive');
  });

  it('names an exited app process, a dead sandbox, a deleted pod; knows nothing of no pod', () => {
    expect(labPodsLiveness([api({ processes: new Map([['app', process(10, true)]]) })], since)).toMatchObject({ status: 'dead', died: 'pod bm-app/api: container app (pid 10) exited' });
    expect(labPodsLiveness([api({ sandboxAlive: false })], since).status).toBe('dead');
    expect(labPodsLiveness([api({ deleted: true })], since).status).toBe('dead');
    expect(labPodsLiveness([], since).status).toBe('unknown');
  });
});

describe('sinkLiveness', () => {
  it('follows the sink process', () => {
    expect(sinkLiveness(process(7, false)).status).toBe('alive');
    expect(sinkLiveness(process(7, true))).toEqual({ status: 'dead', died: 'the lab sink (pid 7) exited' });
    expect(sinkLiveness(undefined).status).toBe('dead');
  });
});
