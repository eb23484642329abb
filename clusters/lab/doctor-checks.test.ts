import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { runChecks, type CheckOutcome } from '../../core/doctor/check.ts';
import { realHostProbes } from '../../core/doctor/host-probes.ts';
import { fakeProbes, type FakeHost } from '../../core/doctor/testing/fake-probes.ts';
import { labDoctorChecks } from './doctor-checks.ts';
import { hostFacts, LAB_TOOLS, type PreflightFacts } from './preflight.ts';

const everything: PreflightFacts = { platform: 'linux', uid: 0, path: '/usr/bin', hasTool: () => true };
const KERNEL_IDS = ['lab.kernel.netns', 'lab.kernel.nftables', 'lab.kernel.iptables-owner', 'lab.kernel.iptables-redirect', 'lab.kernel.iptables-tproxy', 'lab.kernel.iptables-connmark'];

/** Every kernel probe succeeds, except the commands listed in `broken`. */
function kernel(broken: Readonly<Record<string, { exitCode: number; stderr: string }>> = {}): FakeHost['commands'] {
  return new Proxy({} as Record<string, { exitCode: number; stdout: string; stderr: string }>, {
    get: (_target, line: string) => {
      const match = Object.entries(broken).find(([fragment]) => line.includes(fragment));
      return match === undefined ? { exitCode: 0, stdout: '', stderr: '' } : { stdout: '', ...match[1] };
    },
  });
}

async function outcomes(facts: PreflightFacts, host: FakeHost = { commands: kernel() }): Promise<{ byId: Map<string, CheckOutcome>; execs: string[]; inputs: string[] }> {
  const probes = fakeProbes(host);
  const results = await runChecks(labDoctorChecks({ facts, probes }));
  return { byId: new Map(results.map((result) => [result.id, result])), execs: probes.execs, inputs: probes.inputs };
}

describe('lab doctor (injected)', () => {
  it('passes Linux as root with every tool and kernel feature, probing only inside `unshare --net`', async () => {
    const { byId, execs, inputs } = await outcomes(everything);
    expect([...byId.values()].filter((outcome) => outcome.status !== 'ok')).toEqual([]);
    expect([...byId.keys()]).toEqual(['lab.linux', 'lab.root', 'lab.tools', ...KERNEL_IDS]);
    expect(execs).toHaveLength(KERNEL_IDS.length);
    for (const line of execs) expect(line).toMatch(/^unshare --net -- /);
    expect(inputs).toEqual([expect.stringContaining('table inet breachmatrix_doctor {')]);
  });

  it('fails off Linux and as a non-root user, with the fix', async () => {
    const { byId } = await outcomes({ ...everything, platform: 'darwin', uid: 501 });
    expect(byId.get('lab.linux')).toMatchObject({ status: 'fail', detail: 'this is darwin; the lab is made of Linux network namespaces', fix: 'run the lab on Linux, or use --provider kind' });
    expect(byId.get('lab.root')).toMatchObject({ status: 'fail', fix: 'run as root (sudo breachmatrix …)' });
    expect(byId.get('lab.root')?.detail).toMatch(/^running as uid 501/);
  });

  it("names each missing tool and the apt-get line of the lab's own preflight list", async () => {
    const { byId } = await outcomes({ ...everything, hasTool: (tool) => !['haproxy', 'iptables-nft-restore', '/usr/bin/python3'].includes(tool) });
    expect(byId.get('lab.tools')).toMatchObject({
      status: 'fail',
      detail: 'missing: iptables-nft-restore, haproxy, /usr/bin/python3',
      fix: 'apt-get install -y haproxy iptables python3',
    });
    expect(LAB_TOOLS.map(({ tool }) => tool)).toEqual(expect.arrayContaining(['iptables-nft', 'iptables-nft-restore']));
  });

  it('fails a kernel feature the namespace refuses, naming the kernel option and the error', async () => {
    const { byId } = await outcomes(everything, {
      commands: kernel({ 'TPROXY': { exitCode: 2, stderr: 'iptables v1.8.9 (nf_tables): unknown option "--on-port"\n' } }),
    });
    const tproxy = byId.get('lab.kernel.iptables-tproxy');
    expect(tproxy?.status).toBe('fail');
    expect(tproxy?.detail).toMatch(/^`unshare --net -- iptables-nft -t mangle -A PREROUTING .* -j TPROXY .*` failed in a throwaway network namespace: iptables v1\.8\.9 \(nf_tables\): unknown option "--on-port"$/);
    expect(tproxy?.fix).toBe(
      'run as root; the kernel needs CONFIG_NETFILTER_XT_TARGET_TPROXY (module xt_TPROXY) (ambient inbound capture hands TCP to ztunnel with TPROXY) — load the module (modprobe) or use a kernel built with it',
    );
    expect(byId.get('lab.kernel.iptables-redirect')?.status).toBe('ok');
  });

  it('fails a probe whose tool is missing with the install line', async () => {
    const { byId } = await outcomes(everything, { commands: kernel({ ' nft -f -': { exitCode: 127, stderr: 'unshare: failed to execute nft: No such file or directory' } }) });
    expect(byId.get('lab.kernel.nftables')).toMatchObject({
      status: 'fail',
      fix: 'install the tools first (see the tools check): apt-get install -y nftables util-linux',
    });
  });

  it('fails closed when unshare itself is refused (not root)', async () => {
    const { byId } = await outcomes(everything, { commands: kernel({ unshare: { exitCode: 1, stderr: 'unshare: unshare failed: Operation not permitted' } }) });
    for (const id of KERNEL_IDS) expect(byId.get(id)?.status, id).toBe('fail');
    expect(byId.get('lab.kernel.netns')?.detail).toMatch(/Operation not permitted$/);
  });
});

describe('lab doctor on this machine (real probes, as root)', () => {
  it('passes every check and leaves the root namespace without the probe table or rules', async () => {
    const before = await rootRules();
    const results = await runChecks(labDoctorChecks({ facts: hostFacts(), probes: realHostProbes() }));
    expect(results.filter((result) => result.status !== 'ok'), JSON.stringify(results, null, 2)).toEqual([]);
    const after = await rootRules();
    expect(after.tables).not.toContain('breachmatrix_doctor');
    // Other helpers' labs may change the root namespace meanwhile; ours must not add our probe rules.
    expect(after.iptables.filter((rule) => /15006|15001|0x111\/0xfff/.test(rule) && !before.iptables.includes(rule))).toEqual([]);
  }, 60_000);
});

async function rootRules(): Promise<{ tables: string; iptables: string[] }> {
  const tables = (await execa('nft', ['list', 'tables'], { reject: false })).stdout;
  const lines: string[] = [];
  for (const table of ['nat', 'mangle']) lines.push(...(await execa('iptables-nft', ['-t', table, '-S'], { reject: false })).stdout.split('\n'));
  return { tables, iptables: lines };
}
