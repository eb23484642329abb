import { posix } from 'node:path';
import { stringify } from 'yaml';
import type { KubeObject } from '../../../../core/domain/cluster.ts';
import { TIMEOUTS } from '../../../../core/timeouts.ts';
import { loadVendoredRelease } from '../../manifests/vendored-manifest.ts';
import { helmInstall } from '../helm-release.ts';
import type { InstallerContext } from '../installer-context.ts';
import { podSubnetFor } from '../kind-config.ts';
import type { InstallerPart } from '../plan-types.ts';
import { crdWait } from '../wait-steps.ts';

/**
 * The Installation the operator reconciles: the cluster's pod CIDR as the only IP pool and the iptables
 * dataplane (Calico's evidence is its iptables chain counters and `calico-packet:` log lines, core/evidence/calico-*.ts).
 */
export function calicoInstallation(podCidr: string): KubeObject {
  return {
    apiVersion: 'operator.tigera.io/v1',
    kind: 'Installation',
    metadata: { name: 'default' },
    spec: {
      calicoNetwork: {
        linuxDataplane: 'Iptables',
        bgp: 'Disabled',
        ipPools: [
          {
            name: 'default-ipv4-ippool',
            cidr: podCidr,
            blockSize: 26,
            encapsulation: 'VXLAN',
            natOutgoing: 'Enabled',
            nodeSelector: 'all()',
          },
        ],
      },
    },
  };
}

/**
 * The crd.projectcalico.org/v1 and operator.tigera.io/v1 CRDs of the pinned release. Since v3.32 the tigera-operator
 * chart ships none ("BREAKING", release-notes/v3.32.0-release-notes.md, projectcalico/calico#11727); its README
 * installs them first with a server-side apply of the crd.projectcalico.org.v1 chart, which is what
 * manifests/operator-crds.yaml at the tag holds. Vendored and verified (clusters/kind/manifests/calico/<version>/).
 */
export function calicoCrdsPart(context: InstallerContext): InstallerPart {
  const crds = loadVendoredRelease({ component: 'calico', repository: 'projectcalico/calico', upstreamPath: 'manifests/operator-crds.yaml', version: context.versions.calico });
  const file = posix.join('manifests', crds.source);
  const names = crds.objects.filter((object) => object.kind === 'CustomResourceDefinition').map((object) => object.metadata.name);
  return {
    files: [{ path: file, content: crds.content }],
    steps: [{ kind: 'apply', phase: 'stack', component: 'calico', file, objects: crds.objects, force: false }, ...names.map((name) => crdWait('calico', name))],
  };
}

/**
 * Calico WireGuard: Felix's `wireguardEnabled` on the `default` FelixConfiguration. After install, Calico's docs set
 * it through the projectcalico.org/v3 API the operator's API server serves ("when the tigera-apiserver is running,
 * use the projectcalico.org/v3 API group", https://docs.tigera.io/calico/latest/reference/installation/helm_customization),
 * so the apply waits for `tigerastatus/apiserver`. A server-side apply sets only this field; the operator's own
 * settings on `default` stay. Felix then encrypts pod traffic between nodes; same-node traffic is not encrypted
 * (https://docs.tigera.io/calico/latest/network-policy/encrypt-cluster-pod-traffic).
 */
export function felixWireguard(): KubeObject {
  return { apiVersion: 'projectcalico.org/v3', kind: 'FelixConfiguration', metadata: { name: 'default' }, spec: { wireguardEnabled: true } };
}

function tigeraStatusWait(name: 'calico' | 'apiserver'): InstallerPart['steps'][number] {
  return {
    kind: 'wait',
    phase: 'stack',
    component: 'calico',
    what: { apiVersion: 'operator.tigera.io/v1', kind: 'TigeraStatus', name },
    condition: 'Available',
    timeoutMs: TIMEOUTS.componentReadyMs,
  };
}

/** Calico's CRDs (vendored), tigera-operator from the chart (its own Installation off), our Installation, then tigerastatus. */
export function calicoInstaller(context: InstallerContext): InstallerPart {
  const crds = calicoCrdsPart(context);
  const chart = context.pins.charts.calico;
  const helm = helmInstall(
    {
      component: 'calico',
      release: 'calico',
      chart: chart.chart ?? 'tigera-operator',
      repo: chart.repo,
      version: context.versions.calico,
      namespace: 'tigera-operator',
      values: { installation: { enabled: false } },
    },
    context.kubeconfig,
  );
  const installation = calicoInstallation(podSubnetFor(context.profile));
  const file = 'manifests/calico-installation.yaml';
  const wireguard = context.profile.options.encryption === 'wireguard';
  const felixFile = 'manifests/calico-felix-wireguard.yaml';
  return {
    files: [...crds.files, helm.file, { path: file, content: stringify(installation) }, ...(wireguard ? [{ path: felixFile, content: stringify(felixWireguard()) }] : [])],
    steps: [
      ...crds.steps,
      helm.step,
      {
        kind: 'wait',
        phase: 'stack',
        component: 'calico',
        what: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'tigera-operator', name: 'tigera-operator' },
        condition: 'Available',
        timeoutMs: TIMEOUTS.componentReadyMs,
      },
      { kind: 'apply', phase: 'stack', component: 'calico', file, objects: [installation], force: false },
      tigeraStatusWait('calico'),
      ...(wireguard
        ? [tigeraStatusWait('apiserver'), { kind: 'apply' as const, phase: 'stack' as const, component: 'calico' as const, file: felixFile, objects: [felixWireguard()], force: false }]
        : []),
    ],
  };
}
