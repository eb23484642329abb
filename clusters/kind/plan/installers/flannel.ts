import { posix } from 'node:path';
import { BadInputError } from '../../../../core/domain/errors.ts';
import { loadVendoredRelease } from '../../manifests/vendored-manifest.ts';
import type { InstallerContext } from '../installer-context.ts';
import type { InstallerPart, PlanStep } from '../plan-types.ts';
import { rolloutWait } from '../wait-steps.ts';
import { nodeNamesOf } from '../node-names.ts';

/** Where kubelet's CNI plugins live on a kind node. */
const CNI_BIN_DIR = '/opt/cni/bin';

/**
 * flannel's CNI config delegates to the `bridge` plugin, which kindest/node does not ship (kind v0.32.0
 * images/base/Dockerfile copies only host-local, loopback, ptp and portmap into /opt/cni/bin; kind expects a CNI's
 * manifest to bring its binaries, kubernetes-sigs/kind#1340), and flannel's install-cni-plugin copies only
 * `flannel` (flannel-io/flannel#1847). So every node gets `bridge` from the pinned containernetworking/plugins
 * release, checksum-verified on the node before it is unpacked; nothing else from the archive is installed.
 */
export function bridgePluginSteps(context: InstallerContext, nodePlatform: string): PlanStep[] {
  const pin = context.pins.cniPlugins;
  const where = `${context.pins.file}: cniPlugins`;
  if (pin === undefined) throw new BadInputError('no containernetworking/plugins release is pinned', where, 'cniPlugins with version, archive tar.gz, platforms');
  const key = nodePlatform.replace('/', '-');
  const artifact = pin.platforms[key];
  if (artifact === undefined || artifact.member === undefined) {
    throw new BadInputError(`no ${key} archive pinned for the nodes`, where, Object.keys(pin.platforms).join(', '));
  }
  const archive = `/tmp/breachmatrix-cni-plugins-${pin.version}.tgz`;
  // One shell line per node: download, verify, unpack only the pinned member, remove the archive. `set -e`: any
  // failure (HTTP, checksum) stops before anything is unpacked.
  const script = [
    'set -e',
    `curl -fsSL --retry 3 -o ${archive} ${artifact.url}`,
    `echo '${artifact.sha256}  ${archive}' | sha256sum -c -`,
    `tar -C ${CNI_BIN_DIR} -xzf ${archive} ./${artifact.member}`,
    `rm -f ${archive}`,
  ].join('; ');
  return nodeNamesOf(context).map((node) => ({ kind: 'exec', phase: 'stack', component: 'flannel', tool: 'docker', args: ['exec', node, 'sh', '-c', script] }));
}

/**
 * flannel at the version set's tag: `bridge` on every node, then Documentation/kube-flannel.yml of the tag, vendored
 * byte for byte (clusters/kind/manifests/flannel/<tag>/, provenance-checked) and applied unchanged: vxlan backend,
 * `Network` 10.244.0.0/16 = kind's podSubnet for flannel. Then the DaemonSet rolled out on every node.
 */
export function flannelInstaller(context: InstallerContext, nodePlatform: string): InstallerPart {
  const version = context.versions.flannel;
  if (version === undefined) throw new BadInputError(`version set of ${context.profile.id} pins no flannel`, `${context.pins.file}: versionSets`, 'flannel: <release tag>');
  const manifest = loadVendoredRelease({ component: 'flannel', repository: 'flannel-io/flannel', upstreamPath: 'Documentation/kube-flannel.yml', version });
  const file = posix.join('manifests', manifest.source);
  return {
    files: [{ path: file, content: manifest.content }],
    steps: [
      ...bridgePluginSteps(context, nodePlatform),
      { kind: 'apply', phase: 'stack', component: 'flannel', file, objects: manifest.objects, force: false },
      rolloutWait('flannel', 'DaemonSet', 'kube-flannel', 'kube-flannel-ds'),
    ],
  };
}
