import { describe, expect, it } from 'vitest';
import { pod } from '../../manifests/pod-builder.ts';
import { BadInputError } from '../../core/domain/errors.ts';
import { ALL_CAPABILITIES, DEFAULT_CONTAINER_CAPABILITIES, containerPrivileges, hostCapabilities, setprivArguments } from './container-privileges.ts';

function mainContainer(spec: ReturnType<ReturnType<typeof pod>['build']>) {
  const container = spec.spec?.containers[0];
  if (container === undefined) throw new Error('no container');
  return container;
}

describe('containerPrivileges', () => {
  it('gives root and the containerd default capabilities when the spec says nothing', () => {
    const spec = pod('a', 'ns').build();
    const privileges = containerPrivileges(spec, mainContainer(spec));
    expect(privileges.uid).toBe(0);
    expect(privileges.gid).toBe(0);
    expect([...privileges.capabilities].sort()).toEqual([...DEFAULT_CONTAINER_CAPABILITIES].sort());
    expect(privileges.capabilities).not.toContain('NET_ADMIN');
  });

  it('honours runAsUser, runAsGroup and added capabilities', () => {
    const spec = pod('a', 'ns').runAsUser(1337).runAsGroup(1337).addCapabilities('NET_ADMIN', 'CAP_SYS_ADMIN').build();
    const privileges = containerPrivileges(spec, mainContainer(spec));
    expect(privileges.uid).toBe(1337);
    expect(privileges.gid).toBe(1337);
    expect(privileges.capabilities).toContain('NET_ADMIN');
    expect(privileges.capabilities).toContain('SYS_ADMIN');
    expect(privileges.capabilities).toContain('NET_RAW');
  });

  it('drops ALL before adding', () => {
    const spec = pod('a', 'ns').build();
    const container = { ...mainContainer(spec), securityContext: { capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } } };
    expect(containerPrivileges(spec, container).capabilities).toEqual(['NET_BIND_SERVICE']);
  });

  it('grants every capability to a privileged container', () => {
    const spec = pod('a', 'ns').privileged().build();
    const privileges = containerPrivileges(spec, mainContainer(spec));
    expect(privileges.privileged).toBe(true);
    expect(privileges.capabilities).toContain('SYS_ADMIN');
    expect(privileges.capabilities).toContain('NET_ADMIN');
  });

  it('rejects an unknown capability as bad input naming the container', () => {
    const spec = pod('a', 'ns').addCapabilities('NET_WIZARD').build();
    expect(() => containerPrivileges(spec, mainContainer(spec))).toThrow(BadInputError);
    expect(() => containerPrivileges(spec, mainContainer(spec))).toThrow(/container main capabilities.add/);
  });
});

describe('setprivArguments', () => {
  it('sets ids, clears groups and limits bounding and inheritable sets, never ambient', () => {
    const args = setprivArguments({ uid: 1000, gid: 2000, supplementalGroups: [], privileged: false, capabilities: ['NET_RAW'] }, new Set(ALL_CAPABILITIES));
    expect(args).toEqual([
      '--reuid', '1000', '--regid', '2000', '--clear-groups',
      '--inh-caps', '-all,+net_raw', '--ambient-caps', '-all', '--bounding-set', '-all,+net_raw', '--',
    ]);
  });

  it('drops everything when no capability is left', () => {
    const args = setprivArguments({ uid: 0, gid: 0, supplementalGroups: [5], privileged: false, capabilities: [] }, new Set(ALL_CAPABILITIES));
    expect(args).toContain('--groups');
    expect(args[args.indexOf('--bounding-set') + 1]).toBe('-all');
  });
});

describe('hostCapabilities', () => {
  it('decodes the bounding set by bit, so capabilities the host lacks are never requested', () => {
    const available = hostCapabilities('Name:\tnode\nCapBnd:\t000001fffeffffff\n');
    expect(available.has('SYS_RESOURCE')).toBe(false);
    expect(available.has('SYS_ADMIN')).toBe(true);
    expect(available.has('CHECKPOINT_RESTORE')).toBe(true);
    const args = setprivArguments({ uid: 0, gid: 0, supplementalGroups: [], privileged: true, capabilities: ['SYS_RESOURCE', 'NET_ADMIN'] }, available);
    expect(args[args.indexOf('--bounding-set') + 1]).toBe('-all,+net_admin');
  });
});
