import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import type { KubeObject } from '../../../core/domain/cluster.ts';
import { TIMEOUTS } from '../../../core/timeouts.ts';
import { SCENE } from '../../../manifests/scene.ts';
import { corednsConfigMap } from './corefile.ts';
import type { InstallerPart } from './plan-types.ts';
import { rolloutWait } from './wait-steps.ts';

/** Pod-template annotation carrying the Corefile's hash: a new Corefile rolls CoreDNS, the same one does not. */
export const COREFILE_HASH_ANNOTATION = 'breachmatrix.io/corefile-sha256';
/** Namespace of the forwarding probe; labelled managed-by, so teardown deletes it with the scene's. */
export const DNS_PROBE_NAMESPACE = 'bm-dns-probe';

/**
 * The probe's query: a TXT lookup in the exfiltration zone through the pod's own resolver (the cluster DNS
 * Service), exactly the path an attack takes. The sink answers TXT "ok" for its zone; upstream, `.test` names do
 * not exist, so the answer appears only once CoreDNS forwards the zone to the sink.
 */
function probeScript(name: string): string {
  return `until [ "$(dig +short +time=2 +tries=1 TXT ${name})" = '"ok"' ]; do sleep 1; done; echo forwarded`;
}

/**
 * CoreDNS forwarding the exfiltration zone to the sink, and proof that it does. Applying the Corefile
 * ConfigMap alone changes nothing for a while: kubelet refreshes the mounted file lazily (up to about a minute)
 * and the `reload` plugin polls every 30 s plus jitter
 * (https://coredns.io/plugins/reload/, https://kubernetes.io/docs/concepts/configuration/configmap/#mounted-configmaps-are-updated-automatically),
 * and until then `*.exfil.test` goes upstream and every DNS exfiltration reads as blocked. So: apply the
 * ConfigMap, roll the Deployment by stamping the Corefile's hash on its pod template (new pods read the new
 * file at start), wait for the rollout, then run a pod whose lookup succeeds only through the sink.
 */
export function corednsForwardingPart(sinkIp: string): InstallerPart {
  const configMap = corednsConfigMap(SCENE.exfilZone, sinkIp, SCENE.sink.dnsPort);
  const corefile = (configMap['data'] as { Corefile: string }).Corefile;
  const hash = createHash('sha256').update(corefile).digest('hex');
  const restart: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'coredns', namespace: 'kube-system' },
    spec: { template: { metadata: { annotations: { [COREFILE_HASH_ANNOTATION]: hash } } } },
  };
  const probeName = `dns-probe-${hash.slice(0, 12)}`;
  const managed = { [SCENE.managedByLabel.key]: SCENE.managedByLabel.value };
  const probe: KubeObject[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: DNS_PROBE_NAMESPACE, labels: managed } },
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: probeName, namespace: DNS_PROBE_NAMESPACE, labels: managed },
      spec: {
        restartPolicy: 'Never',
        activeDeadlineSeconds: Math.ceil(TIMEOUTS.corednsForwardingMs / 1000),
        containers: [
          // The attacker image (loaded into the nodes before this step; a non-latest tag is not pulled) has dig.
          { name: 'probe', image: SCENE.attackerImage, command: ['sh', '-c', probeScript(`${probeName}.${SCENE.exfilZone}`)] },
        ],
      },
    },
  ];
  const files = [
    { path: 'manifests/coredns.yaml', objects: [configMap] },
    { path: 'manifests/coredns-restart.yaml', objects: [restart] },
    { path: 'manifests/coredns-probe.yaml', objects: probe },
  ];
  return {
    files: files.map((file) => ({ path: file.path, content: file.objects.map((object) => stringify(object)).join('---\n') })),
    steps: [
      // kubeadm owns the Corefile; taking it over is the point.
      { kind: 'apply', phase: 'stack', component: 'coredns', file: 'manifests/coredns.yaml', objects: [configMap], force: true },
      { kind: 'apply', phase: 'stack', component: 'coredns', file: 'manifests/coredns-restart.yaml', objects: [restart], force: false },
      rolloutWait('coredns', 'Deployment', 'kube-system', 'coredns'),
      { kind: 'apply', phase: 'stack', component: 'coredns', file: 'manifests/coredns-probe.yaml', objects: probe, force: false },
      {
        kind: 'wait',
        phase: 'stack',
        component: 'coredns',
        what: { apiVersion: 'v1', kind: 'Pod', namespace: DNS_PROBE_NAMESPACE, name: probeName },
        condition: 'Succeeded',
        timeoutMs: TIMEOUTS.corednsForwardingMs,
      },
    ],
  };
}
