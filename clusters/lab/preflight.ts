import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { BadInputError } from '../../core/domain/errors.ts';

/** Every host tool the lab (and its sidecar module) runs, with the Debian package that ships it. */
export const LAB_TOOLS: readonly { readonly tool: string; readonly pkg: string }[] = [
  { tool: 'ip', pkg: 'iproute2' },
  { tool: 'ss', pkg: 'iproute2' },
  { tool: 'nft', pkg: 'nftables' },
  { tool: 'iptables', pkg: 'iptables' },
  { tool: 'iptables-legacy', pkg: 'iptables' },
  // The sidecar and ambient modules write their pod rules with these.
  { tool: 'iptables-nft', pkg: 'iptables' },
  { tool: 'iptables-nft-restore', pkg: 'iptables' },
  { tool: 'haproxy', pkg: 'haproxy' },
  { tool: 'curl', pkg: 'curl' },
  // The eavesdropping family's sniffer (attack-pods/scripts/packet-capture.sh).
  { tool: 'tcpdump', pkg: 'tcpdump' },
  { tool: 'dig', pkg: 'dnsutils' },
  { tool: 'nc', pkg: 'netcat-openbsd' },
  { tool: 'ping', pkg: 'iputils-ping' },
  { tool: 'setpriv', pkg: 'util-linux' },
  { tool: 'unshare', pkg: 'util-linux' },
  { tool: 'nsenter', pkg: 'util-linux' },
  { tool: 'sysctl', pkg: 'procps' },
  { tool: 'python3', pkg: 'python3' },
  { tool: 'openssl', pkg: 'openssl' },
  // AM4-mark sets SO_MARK before connect with socat.
  { tool: 'socat', pkg: 'socat' },
];

/** Pod processes use the system interpreter: a per-user one (pyenv under /root) is unreadable to pod users. */
const SYSTEM_PYTHON = '/usr/bin/python3';

function onPath(tool: string, path: string): boolean {
  return path.split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, tool), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

export interface PreflightFacts {
  readonly platform: NodeJS.Platform;
  readonly uid: number | undefined;
  readonly path: string;
  readonly hasTool: (tool: string, path: string) => boolean;
}

export function hostFacts(): PreflightFacts {
  return {
    platform: process.platform,
    uid: typeof process.getuid === 'function' ? process.getuid() : undefined,
    path: `${process.env['PATH'] ?? ''}${delimiter}/usr/sbin${delimiter}/sbin`,
    hasTool: (tool, path) => (tool === SYSTEM_PYTHON ? onPath('python3', '/usr/bin') : onPath(tool, path)),
  };
}

/** The lab's tools this host lacks (the system python3 included), in LAB_TOOLS order. */
export function missingLabTools(facts: PreflightFacts): { readonly tool: string; readonly pkg: string }[] {
  const missing = LAB_TOOLS.filter(({ tool }) => !facts.hasTool(tool, facts.path));
  if (!facts.hasTool(SYSTEM_PYTHON, facts.path) && !missing.some(({ tool }) => tool === 'python3')) {
    missing.push({ tool: SYSTEM_PYTHON, pkg: 'python3' });
  }
  return missing;
}

/** The Debian install line for missing tools, packages sorted and named once. */
export function aptInstallLine(missing: readonly { readonly pkg: string }[]): string {
  return `apt-get install -y ${[...new Set(missing.map(({ pkg }) => pkg))].sort().join(' ')}`;
}

/** Linux, root, and every tool: otherwise a BadInputError (exit 2) naming each problem and the install line. */
export function checkLabHost(facts: PreflightFacts = hostFacts()): void {
  if (facts.platform !== 'linux') {
    throw new BadInputError(`the lab needs Linux network namespaces; this is ${facts.platform}`, 'provider lab', 'Linux, as root');
  }
  if (facts.uid !== 0) {
    throw new BadInputError('the lab creates network namespaces and must run as root', 'provider lab', 'run as root (sudo)');
  }
  const missing = missingLabTools(facts);
  if (missing.length > 0) {
    throw new BadInputError(
      `missing tools: ${missing.map(({ tool }) => tool).join(', ')}; install them with: ${aptInstallLine(missing)}`,
      'provider lab',
      LAB_TOOLS.map(({ tool }) => tool).join(', '),
    );
  }
}
