import { stringify } from 'yaml';
import type { KubeObject } from '../../../../core/domain/cluster.ts';
import { TIMEOUTS } from '../../../../core/timeouts.ts';
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

/** Operator CRDs and tigera-operator from the chart (its own Installation off), our Installation, then tigerastatus. */
export function calicoInstaller(context: InstallerContext): InstallerPart {
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
  return {
    files: [helm.file, { path: file, content: stringify(installation) }],
    steps: [
      helm.step,
      crdWait('calico', 'installations.operator.tigera.io'),
      {
        kind: 'wait',
        phase: 'stack',
        component: 'calico',
        what: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'tigera-operator', name: 'tigera-operator' },
        condition: 'Available',
        timeoutMs: TIMEOUTS.componentReadyMs,
      },
      { kind: 'apply', phase: 'stack', component: 'calico', file, objects: [installation], force: false },
      {
        kind: 'wait',
        phase: 'stack',
        component: 'calico',
        what: { apiVersion: 'operator.tigera.io/v1', kind: 'TigeraStatus', name: 'calico' },
        condition: 'Available',
        timeoutMs: TIMEOUTS.componentReadyMs,
      },
    ],
  };
}
