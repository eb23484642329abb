import { fail, ok, type Check, type CheckResult } from '../../core/doctor/check.ts';
import type { HostProbes } from '../../core/doctor/host-probes.ts';
import { aptInstallLine, LAB_TOOLS, missingLabTools, type PreflightFacts } from './preflight.ts';

export interface LabDoctorOptions {
  /** Platform, uid and tool lookup, exactly as the lab's own preflight sees them. */
  readonly facts: PreflightFacts;
  /** Runs the kernel probes. */
  readonly probes: HostProbes;
}

/**
 * One kernel feature the lab uses, probed by doing it once inside a throwaway network namespace: `unshare --net`
 * gives the command a fresh anonymous namespace that the kernel removes when the command exits, so nothing is
 * named, nothing is left behind and the root namespace's rules are never touched.
 */
interface KernelProbe {
  readonly id: string;
  readonly title: string;
  readonly command: readonly string[];
  readonly input?: string;
  /** What the lab uses it for, and the kernel option or module that provides it. */
  readonly usedFor: string;
  readonly kernel: string;
}

const PROBE_TABLE = 'breachmatrix_doctor';

/** An nftables table like the lab's node firewall: a hooked chain, conntrack state and socket-owner matches. */
const NFT_PROBE = [
  `table inet ${PROBE_TABLE} {`,
  '  chain probe {',
  '    type filter hook output priority 0; policy accept;',
  '    ct state established,related accept',
  '    meta skuid 1337 counter accept',
  '  }',
  '}',
  '',
].join('\n');

const KERNEL_PROBES: readonly KernelProbe[] = [
  {
    id: 'lab.kernel.netns',
    title: 'network namespaces',
    command: ['ip', 'link', 'set', 'lo', 'up'],
    usedFor: 'every lab node and pod is a network namespace',
    kernel: 'CONFIG_NET_NS',
  },
  {
    id: 'lab.kernel.nftables',
    title: 'nftables (inet table, conntrack, skuid)',
    command: ['nft', '-f', '-'],
    input: NFT_PROBE,
    usedFor: 'NetworkPolicy and the node firewall are nftables rules',
    kernel: 'CONFIG_NF_TABLES, CONFIG_NF_TABLES_INET, CONFIG_NF_CONNTRACK (modules nf_tables, nf_conntrack)',
  },
  {
    id: 'lab.kernel.iptables-owner',
    title: 'iptables owner match',
    command: ['iptables-nft', '-t', 'nat', '-A', 'OUTPUT', '-p', 'tcp', '-m', 'owner', '--uid-owner', '1337', '-j', 'RETURN'],
    usedFor: "the sidecar's capture exempts the proxy's UID 1337",
    kernel: 'CONFIG_NETFILTER_XT_MATCH_OWNER (module xt_owner)',
  },
  {
    id: 'lab.kernel.iptables-redirect',
    title: 'iptables REDIRECT',
    command: ['iptables-nft', '-t', 'nat', '-A', 'OUTPUT', '-p', 'tcp', '-j', 'REDIRECT', '--to-ports', '15001'],
    usedFor: 'sidecar and ambient outbound capture redirect TCP to the proxy',
    kernel: 'CONFIG_NETFILTER_XT_TARGET_REDIRECT, CONFIG_NF_NAT (modules xt_REDIRECT, nf_nat)',
  },
  {
    id: 'lab.kernel.iptables-tproxy',
    title: 'iptables TPROXY',
    command: ['iptables-nft', '-t', 'mangle', '-A', 'PREROUTING', '-p', 'tcp', '-j', 'TPROXY', '--on-port', '15006', '--tproxy-mark', '0x111/0xfff'],
    usedFor: 'ambient inbound capture hands TCP to ztunnel with TPROXY',
    kernel: 'CONFIG_NETFILTER_XT_TARGET_TPROXY (module xt_TPROXY)',
  },
  {
    id: 'lab.kernel.iptables-connmark',
    title: 'iptables CONNMARK',
    command: ['iptables-nft', '-t', 'mangle', '-A', 'OUTPUT', '-m', 'connmark', '--mark', '0x111/0xfff', '-j', 'CONNMARK', '--restore-mark', '--nfmask', '0xfff', '--ctmask', '0xfff'],
    usedFor: "ambient keeps replies to ztunnel's sockets local with the connection mark",
    kernel: 'CONFIG_NETFILTER_XT_CONNMARK (module xt_connmark)',
  },
];

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}

async function runKernelProbe(probe: KernelProbe, options: LabDoctorOptions): Promise<CheckResult> {
  const result = await options.probes.exec('unshare', ['--net', '--', ...probe.command], probe.input === undefined ? {} : { input: probe.input });
  const shown = `\`unshare --net -- ${probe.command.join(' ')}\``;
  if (result.exitCode === 0) return ok(`${shown} worked in a throwaway network namespace (${probe.usedFor})`);
  const why = firstLine(result.stderr) || firstLine(result.stdout) || `exit code ${result.exitCode}`;
  if (result.exitCode === 127) {
    return fail(`${shown} could not run: ${why}`, `install the tools first (see the tools check): ${aptInstallLine(LAB_TOOLS.filter(({ tool }) => ['unshare', probe.command[0]].includes(tool)))}`);
  }
  return fail(
    `${shown} failed in a throwaway network namespace: ${why}`,
    `run as root; the kernel needs ${probe.kernel} (${probe.usedFor}) — load the module (modprobe) or use a kernel built with it`,
  );
}

/** Linux, root, the Debian packages of the lab's preflight, and each kernel feature the lab uses. */
export function labDoctorChecks(options: LabDoctorOptions): readonly Check[] {
  const { facts } = options;
  return [
    {
      id: 'lab.linux',
      title: 'Linux',
      run: async () =>
        facts.platform === 'linux'
          ? ok('this is Linux')
          : fail(`this is ${facts.platform}; the lab is made of Linux network namespaces`, 'run the lab on Linux, or use --provider kind'),
    },
    {
      id: 'lab.root',
      title: 'root',
      run: async () =>
        facts.uid === 0
          ? ok('running as root (uid 0)')
          : fail(`running as uid ${facts.uid ?? 'unknown'}; the lab creates network namespaces and firewall rules`, 'run as root (sudo breachmatrix …)'),
    },
    {
      id: 'lab.tools',
      title: 'lab tools and packages',
      run: async () => {
        const missing = missingLabTools(facts);
        if (missing.length === 0) return ok(`all ${LAB_TOOLS.length} tools found (${LAB_TOOLS.map(({ tool }) => tool).join(', ')}) and /usr/bin/python3`);
        return fail(`missing: ${missing.map(({ tool }) => tool).join(', ')}`, aptInstallLine(missing));
      },
    },
    ...KERNEL_PROBES.map((probe): Check => ({ id: probe.id, title: `kernel: ${probe.title}`, run: () => runKernelProbe(probe, options) })),
  ];
}
