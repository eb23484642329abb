import { describe, expect, it } from 'vitest';
import { BadInputError } from '../domain/errors.ts';
import { doctorSelection, requireHostChecks } from './doctor-gate.ts';
import { fakeProbes } from './testing/fake-probes.ts';

/** Lab checks with the kernel probes answered by a table: only the TPROXY probe fails. */
function labSelection() {
  const ok = { exitCode: 0, stdout: '', stderr: '' };
  const commands = new Proxy({} as Record<string, typeof ok>, {
    get: (_target, line: string) => (line.includes('TPROXY') ? { exitCode: 2, stdout: '', stderr: 'No chain/target/match by that name.' } : ok),
  });
  return { provider: 'lab' as const, profiles: [], probes: fakeProbes({ commands }), labFacts: { platform: 'linux' as const, uid: 0, path: '/usr/bin', hasTool: () => true } };
}

describe('requireHostChecks (what run does before creating anything)', () => {
  it('prints every check and refuses the run, exit 2, naming the failed check', async () => {
    const written: string[] = [];
    const attempt = requireHostChecks(labSelection(), (text) => written.push(text));
    await expect(attempt).rejects.toThrow(BadInputError);
    await expect(requireHostChecks(labSelection(), () => {})).rejects.toThrow(
      'run --provider lab: host checks failed: kernel: iptables TPROXY; each fix is printed above, and `breachmatrix doctor --provider lab` repeats the checks',
    );
    const text = written.join('');
    expect(text).toMatch(/^ok {4}kernel: iptables REDIRECT: /m);
    expect(text).toMatch(/^FAIL {2}kernel: iptables TPROXY: .*No chain\/target\/match by that name\.$/m);
    expect(text).toMatch(/^ {6}fix: run as root; the kernel needs CONFIG_NETFILTER_XT_TARGET_TPROXY/m);
  });

  it('lets a user waive a check by id, printed as skipped, never as passed', async () => {
    const written: string[] = [];
    await requireHostChecks(labSelection(), (text) => written.push(text), ['lab.kernel.iptables-tproxy']);
    const text = written.join('');
    expect(text).toContain('skip  kernel: iptables TPROXY: not checked (--skip-check lab.kernel.iptables-tproxy)');
    expect(text).not.toMatch(/^ok {4}kernel: iptables TPROXY/m);
  });

  it('refuses an unknown check id, listing the provider’s ids', async () => {
    await expect(requireHostChecks(labSelection(), () => {}, ['kind.inotify'])).rejects.toThrow(
      /--skip-check: unknown check "kind\.inotify" for provider lab \(allowed: lab\.linux, lab\.root, lab\.tools, lab\.kernel\.netns/,
    );
  });

  it('carries the flags run and doctor share, --reuse included', () => {
    expect(doctorSelection({ provider: 'kind', pins: 'p.yaml', reuse: 'bm-old', iUnderstandThisAttacksTheCluster: false }, [])).toEqual({
      provider: 'kind',
      profiles: [],
      pinsFile: 'p.yaml',
      reuse: 'bm-old',
      iUnderstand: false,
    });
  });
});
