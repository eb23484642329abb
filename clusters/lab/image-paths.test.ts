import { describe, expect, it } from 'vitest';
import { mapContainerCommand, mapImagePath } from './image-paths.ts';

describe('image paths', () => {
  it('maps the workload server and the system python', () => {
    expect(mapContainerCommand(['python3', '/opt/breachmatrix/workload_server.py', '--name', 'api'], '/repo/')).toEqual([
      '/usr/bin/python3',
      '/repo/attack-pods/workload-server/workload_server.py',
      '--name',
      'api',
    ]);
  });

  it('maps script paths inside a shell string', () => {
    expect(mapImagePath('sh /opt/breachmatrix/scripts/http-probe.sh && true', '/repo/')).toBe(
      'sh /repo/attack-pods/scripts/http-probe.sh && true',
    );
  });

  it('leaves other arguments alone', () => {
    expect(mapContainerCommand(['sleep', 'infinity'], '/repo/')).toEqual(['sleep', 'infinity']);
  });
});
