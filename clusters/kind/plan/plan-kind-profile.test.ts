import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { loadProfileCatalog } from '../../../core/config/profiles-config.ts';
import { KIND_PROFILE_IDS, loadKindProfiles } from '../../../core/config/testing/all-profiles.ts';
import type { KubeObject } from '../../../core/domain/cluster.ts';
import type { Profile } from '../../../core/domain/profile.ts';
import { TIMEOUTS } from '../../../core/timeouts.ts';
import { loadGatewayApiBundle } from '../manifests/gateway-api-bundle.ts';
import { loadVendoredRelease } from '../manifests/vendored-manifest.ts';
import { loadKindPins, type KindPins } from '../pins-tools.ts';
import { loadCrdValidator, loadJsonSchemaValidator, type CrdValidator } from '../../../manifests/contract/crd-schemas.ts';
import { UPSTREAM_SCHEMAS_DIR } from '../../../manifests/contract/upstream-fixtures.ts';
import { isCoreKind, validateCoreKind } from '../../../manifests/contract/core-kinds.ts';
import { buildPolicySet, buildScene } from '../../../manifests/index.ts';
import { stackTraits, withPolicyStrength } from '../../../core/domain/profile.ts';
import { COREFILE_HASH_ANNOTATION, DNS_PROBE_NAMESPACE } from './coredns-forwarding.ts';
import { kindConfigSchema } from './kind-config-schema.ts';
import { DEFAULT_REPO_DIR, SINK_IP_PLACEHOLDER, planKindProfile } from './plan-kind-profile.ts';
import type { ApplyStep, ExecStep, KindPlan, PlanStep } from './plan-types.ts';
import { renderStep } from './render-steps.ts';
import { writePlan } from './write-plan.ts';

const configMapSchema = z.strictObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('ConfigMap'),
  metadata: z.strictObject({ name: z.literal('coredns'), namespace: z.literal('kube-system') }),
  data: z.strictObject({ Corefile: z.string().min(1) }),
});

let pins: KindPins;
let profiles: readonly Profile[];
let plans: ReadonlyMap<string, KindPlan>;
let crds: CrdValidator;

function fileOf(plan: KindPlan, path: string): unknown {
  const file = plan.files.find((candidate) => candidate.path === path);
  if (file === undefined) throw new Error(`${plan.profile.id}: no file ${path}`);
  return parse(file.content);
}

function planFor(id: string): KindPlan {
  const plan = plans.get(id);
  if (plan === undefined) throw new Error(`no plan for ${id}`);
  return plan;
}

/** An apply of a file vendored under clusters/kind/manifests/<component>/<version>/ (verified by its provenance). */
function isVendoredRelease(step: ApplyStep): boolean {
  return /^manifests\/(calico|flannel)\/v[^/]+\//.test(step.file);
}

function appliedObjects(plan: KindPlan, keep: (step: ApplyStep) => boolean = () => true): KubeObject[] {
  return plan.steps.filter((step): step is ApplyStep => step.kind === 'apply' && keep(step)).flatMap((step) => [...step.objects]);
}

/** Dotted paths of every leaf a values object sets. */
function leafPaths(value: unknown, prefix = ''): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [prefix];
  return Object.entries(value).flatMap(([key, inner]) => leafPaths(inner, prefix === '' ? key : `${prefix}.${key}`));
}

function declaredInSchema(schema: Record<string, unknown>, path: string): boolean {
  let node: Record<string, unknown> | undefined = schema;
  for (const part of path.split('.')) {
    const properties = node?.['properties'] as Record<string, Record<string, unknown>> | undefined;
    node = properties?.[part];
    if (node === undefined) return false;
  }
  return true;
}

beforeAll(async () => {
  pins = await loadKindPins();
  profiles = await loadKindProfiles();
  plans = new Map(profiles.map((profile) => [profile.id, planKindProfile(profile, pins, { runId: 'r1a2b3' })]));
  // The vendored upstream CRDs (test/fixtures/upstream): a missing folder is a BadInputError, never a silent pass.
  crds = loadCrdValidator(UPSTREAM_SCHEMAS_DIR);
});

describe('planKindProfile: every kind profile', () => {
  it('plans every profile of the catalogue', () => {
    expect(profiles.map((profile) => profile.id)).toEqual(KIND_PROFILE_IDS);
    expect(plans.size).toBe(KIND_PROFILE_IDS.length);
  });

  it('renders a kind config that passes the strict v1alpha4 schema, with the CNI-specific networking', () => {
    for (const profile of profiles) {
      const plan = planFor(profile.id);
      const config = kindConfigSchema.parse(fileOf(plan, 'kind-config.yaml'));
      expect(config.name).toBe(plan.clusterName);
      expect(config.networking?.disableDefaultCNI).toBe(profile.cni !== 'kindnet');
      expect(config.networking?.podSubnet).toBe(profile.cni === 'calico' ? '192.168.0.0/16' : '10.244.0.0/16');
      expect(config.networking?.kubeProxyMode).toBe('iptables');
      expect(config.nodes?.map((node) => node.role)).toEqual(['control-plane', 'worker', 'worker']);
      expect(new Set(config.nodes?.map((node) => node.image))).toEqual(new Set([pins.nodeImages['pinned']]));
    }
  });

  it('drops kube-proxy only when Cilium replaces it, and then points Cilium at the API server', () => {
    const base = profiles.find((profile) => profile.id === 'cilium');
    if (base === undefined) throw new Error('no cilium profile');
    const kpr: Profile = { ...base, options: { ...base.options, kubeProxyReplacement: true } };
    const plan = planKindProfile(kpr, pins, { runId: 'r1a2b3' });
    expect(kindConfigSchema.parse(fileOf(plan, 'kind-config.yaml')).networking?.kubeProxyMode).toBe('none');
    expect(fileOf(plan, 'values/cilium.yaml')).toMatchObject({
      kubeProxyReplacement: true,
      k8sServiceHost: `${plan.clusterName}-control-plane`,
      k8sServicePort: 6443,
    });
  });

  it('Cilium values validate against the chart values schema; settings the schema does not declare are the known commented ones', async () => {
    const schemaFile = join(UPSTREAM_SCHEMAS_DIR, 'helm', 'cilium-values.schema.json');
    const schema = JSON.parse(await readFile(schemaFile, 'utf8')) as Record<string, unknown>;
    const validator = loadJsonSchemaValidator(schemaFile);
    const undeclared = new Set<string>();
    for (const profile of profiles.filter((candidate) => candidate.cni === 'cilium')) {
      const values = fileOf(planFor(profile.id), 'values/cilium.yaml') as Record<string, unknown>;
      expect(validator.validate(values)).toEqual({ ok: true });
      for (const path of leafPaths(values)) if (!declaredInSchema(schema, path)) undeclared.add(path);
      expect(values).toMatchObject({
        ipam: { mode: 'kubernetes' },
        hubble: { enabled: true, relay: { enabled: true } },
        bpf: { monitorAggregation: 'none' },
        kubeProxyReplacement: false,
      });
      if (profile.mesh === 'none') {
        expect(values).not.toHaveProperty('cni');
      } else {
        expect(values).toMatchObject({ cni: { exclusive: false }, socketLB: { hostNamespaceOnly: true }, bpf: { masquerade: false } });
      }
    }
    // values.yaml has `socketLB.hostNamespaceOnly` only as a comment, so the schema lacks it; nothing else may be unknown.
    expect([...undeclared]).toEqual(['socketLB.hostNamespaceOnly']);
  });

  it('WireGuard profiles turn it on in the Cilium values or Calico\'s FelixConfiguration, and no other profile does', () => {
    for (const profile of profiles.filter((candidate) => candidate.cni === 'cilium')) {
      const values = fileOf(planFor(profile.id), 'values/cilium.yaml') as Record<string, unknown>;
      if (profile.options.encryption === 'wireguard') expect(values['encryption'], profile.id).toEqual({ enabled: true, type: 'wireguard' });
      else expect(values, profile.id).not.toHaveProperty('encryption');
    }
    expect(profiles.filter((profile) => profile.options.encryption === 'wireguard').map((profile) => profile.id)).toEqual(['cilium-wireguard', 'calico-wireguard', 'calico-wireguard+istio-sidecar', 'cilium-wireguard+istio-ambient']);
    for (const profile of profiles.filter((candidate) => candidate.cni === 'calico')) {
      const steps = planFor(profile.id).steps;
      const felix = appliedObjects(planFor(profile.id)).filter((object) => object.kind === 'FelixConfiguration');
      if (profile.options.encryption !== 'wireguard') {
        expect(felix, profile.id).toEqual([]);
        continue;
      }
      expect(felix).toEqual([{ apiVersion: 'projectcalico.org/v3', kind: 'FelixConfiguration', metadata: { name: 'default' }, spec: { wireguardEnabled: true } }]);
      // Applied through the projectcalico.org/v3 API, so only once the operator reports its API server Available.
      const applyAt = steps.findIndex((step) => step.kind === 'apply' && step.objects.some((object) => object.kind === 'FelixConfiguration'));
      const apiserverAt = steps.findIndex((step) => step.kind === 'wait' && step.what.kind === 'TigeraStatus' && step.what.name === 'apiserver');
      expect(apiserverAt, profile.id).toBeGreaterThan(0);
      expect(applyAt).toBe(apiserverAt + 1);
    }
    // With the mesh the Cilium values keep Istio's settings next to WireGuard (docs.cilium.io, Integration with Istio).
    const ambient = fileOf(planFor('cilium-wireguard+istio-ambient'), 'values/cilium.yaml') as Record<string, unknown>;
    expect(ambient).toMatchObject({ cni: { exclusive: false }, socketLB: { hostNamespaceOnly: true }, encryption: { enabled: true, type: 'wireguard' } });
  });

  it('the FelixConfiguration validator refuses a misspelt WireGuard field and a non-boolean', () => {
    expect(crds.validate({ apiVersion: 'projectcalico.org/v3', kind: 'FelixConfiguration', metadata: { name: 'default' }, spec: { wireguardEnable: true } }).ok).toBe(false);
    expect(crds.validate({ apiVersion: 'projectcalico.org/v3', kind: 'FelixConfiguration', metadata: { name: 'default' }, spec: { wireguardEnabled: 'yes' } }).ok).toBe(false);
  });

  it('every object the plan applies validates: the Calico Installation against its CRD, the CoreDNS ConfigMap as a core kind', () => {
    let checked = 0;
    for (const profile of profiles) {
      // The Gateway API release files and the vendored release manifests (Calico's CRDs, flannel) are upstream's,
      // checked byte for byte against their provenance instead (clusters/kind/manifests/).
      for (const object of appliedObjects(planFor(profile.id), (step) => step.component !== 'gateway-api' && !isVendoredRelease(step))) {
        if (object.kind === 'ConfigMap') {
          // manifests/contract has no ConfigMap schema: check the shape kube-system/coredns must have.
          expect(configMapSchema.safeParse(object).success, `${profile.id} ConfigMap`).toBe(true);
        } else if (object.kind === 'Deployment') {
          // A partial apply configuration by design (only the pod-template annotation that rolls CoreDNS): a full
          // Deployment schema would demand the selector and containers kubeadm owns.
          expect(object, `${profile.id} CoreDNS restart`).toEqual({
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            metadata: { name: 'coredns', namespace: 'kube-system' },
            spec: { template: { metadata: { annotations: { [COREFILE_HASH_ANNOTATION]: expect.stringMatching(/^[0-9a-f]{64}$/) } } } },
          });
        } else {
          const result = isCoreKind(object) ? validateCoreKind(object) : crds.validate(object);
          expect(result, `${profile.id} ${object.kind}`).toEqual({ ok: true });
        }
        checked += 1;
      }
    }
    // Every Calico profile applies one Installation, the WireGuard ones also a FelixConfiguration (validated against
    // Calico's v3 CRD); every profile applies the CoreDNS ConfigMap, its restart annotation and the forwarding probe.
    const calico = profiles.filter((profile) => profile.cni === 'calico');
    const felix = calico.filter((profile) => profile.options.encryption === 'wireguard');
    expect(felix.length).toBe(2);
    expect(checked).toBe(calico.length + felix.length + profiles.length * 4);
    const installation = appliedObjects(planFor('calico')).find((object) => object.kind === 'Installation');
    expect(installation).toMatchObject({ spec: { calicoNetwork: { linuxDataplane: 'Iptables', ipPools: [{ cidr: '192.168.0.0/16' }] } } });
  });

  it('Calico profiles apply the vendored v3.32 CRDs (the tigera-operator chart ships none since v3.32) and wait for them before the chart', () => {
    for (const id of ['calico', 'calico+istio-sidecar', 'calico+istio-ambient']) {
      const plan = planFor(id);
      const calico = plan.steps.filter((step) => step.component === 'calico');
      const first = calico[0];
      if (first?.kind !== 'apply') throw new Error(`${id}: the first Calico step is not the CRD apply`);
      expect(first.file).toBe(`manifests/calico/${pins.versionSets['pinned']?.calico ?? ''}/operator-crds.yaml`);
      const names = first.objects.map((object) => object.metadata.name);
      expect(first.objects.every((object) => object.kind === 'CustomResourceDefinition')).toBe(true);
      expect(names).toEqual(expect.arrayContaining(['installations.operator.tigera.io', 'tigerastatuses.operator.tigera.io', 'felixconfigurations.crd.projectcalico.org']));
      // Every CRD is Established before helm installs the operator, which expects them.
      const helmAt = calico.findIndex((step) => step.kind === 'exec' && step.tool === 'helm');
      const waited = calico.slice(0, helmAt).filter((step) => step.kind === 'wait').map((step) => (step.kind === 'wait' ? step.what.name : ''));
      expect(waited.sort()).toEqual([...names].sort());
      expect(plan.files.find((file) => file.path === first.file)?.content.length).toBeGreaterThan(1_000_000);
    }
  });

  it('flannel: bridge on every node (checksum before unpack), the vendored kube-flannel.yml unchanged, its DaemonSet rolled out; NetworkPolicies applied, enforced by nothing', () => {
    const plan = planFor('flannel');
    const version = pins.versionSets['pinned']?.flannel ?? '';
    expect(version).toBe('v0.28.9');
    const config = kindConfigSchema.parse(fileOf(plan, 'kind-config.yaml'));
    expect(config.networking?.disableDefaultCNI).toBe(true);
    const flannel = plan.steps.filter((step) => step.component === 'flannel');
    // 1. `bridge` from the pinned containernetworking/plugins archive, on each of the three nodes.
    const cni = pins.cniPlugins?.platforms['linux-amd64'];
    if (cni === undefined) throw new Error('no linux-amd64 cniPlugins pin');
    const execs = flannel.filter((step): step is ExecStep => step.kind === 'exec');
    expect(execs.map((step) => step.args[1])).toEqual(['control-plane', 'worker', 'worker2'].map((node) => `${plan.clusterName}-${node}`));
    for (const step of execs) {
      expect(step.args.slice(0, 1).concat(step.args.slice(2, 4))).toEqual(['exec', 'sh', '-c']);
      const script = step.args[4] ?? '';
      expect(script.startsWith('set -e; ')).toBe(true);
      const [download = -1, verify = -1, unpack = -1] = ['curl -fsSL', `echo '${cni.sha256}  `, 'tar -C /opt/cni/bin -xzf'].map((part) => script.indexOf(part));
      expect(script).toContain(cni.url);
      expect(download).toBeGreaterThan(0);
      expect(verify).toBeGreaterThan(download);
      expect(unpack).toBeGreaterThan(verify);
      expect(script).toMatch(/\.tgz \.\/bridge; /);
    }
    // arm64 nodes get the arm64 archive; a platform with no pin is refused, not guessed.
    const arm = planKindProfile(plan.profile, pins, { runId: 'r1a2b3', nodePlatform: 'linux/arm64' });
    expect(JSON.stringify(arm.steps.filter((step) => step.component === 'flannel'))).toContain('cni-plugins-linux-arm64-v1.9.1.tgz');
    expect(() => planKindProfile(plan.profile, pins, { runId: 'r1a2b3', nodePlatform: 'linux/s390x' })).toThrow(/no linux-s390x archive pinned/);
    // 2. The vendored manifest, applied as upstream wrote it.
    const apply = flannel.find((step): step is ApplyStep => step.kind === 'apply');
    expect(apply?.file).toBe(`manifests/flannel/${version}/kube-flannel.yml`);
    const objects = apply?.objects ?? [];
    expect(plan.files.find((file) => file.path === apply?.file)?.content).toBe(loadVendoredRelease({ component: 'flannel', repository: 'flannel-io/flannel', upstreamPath: 'Documentation/kube-flannel.yml', version }).content);
    // What the plan relies on in that file: the pod network is kind's podSubnet, vxlan, the CNI config delegates to the
    // default (bridge) plugin, only `flannel` is copied by the manifest itself, images at the pinned tag.
    const configMap = objects.find((object) => object.kind === 'ConfigMap') as (KubeObject & { data: Record<string, string> }) | undefined;
    const netConf = JSON.parse(configMap?.data['net-conf.json'] ?? '{}') as { Network?: string; Backend?: { Type?: string } };
    expect(netConf).toMatchObject({ Network: config.networking?.podSubnet, Backend: { Type: 'vxlan' } });
    const cniConf = JSON.parse(configMap?.data['cni-conf.json'] ?? '{}') as { plugins?: { type: string; delegate?: Record<string, unknown> }[] };
    expect(cniConf.plugins?.map((plugin) => plugin.type)).toEqual(['flannel', 'portmap']);
    expect(cniConf.plugins?.[0]?.delegate).not.toHaveProperty('type');
    const daemonSet = objects.find((object) => object.kind === 'DaemonSet') as (KubeObject & { spec: { template: { spec: { initContainers: { name: string; args?: string[]; image: string }[]; containers: { image: string }[] } } } }) | undefined;
    expect(daemonSet?.metadata).toMatchObject({ name: 'kube-flannel-ds', namespace: 'kube-flannel' });
    expect(daemonSet?.spec.template.spec.initContainers.find((container) => container.name === 'install-cni-plugin')?.args).toEqual(['-f', '/flannel', '/opt/cni/bin/flannel']);
    expect(daemonSet?.spec.template.spec.containers.map((container) => container.image)).toEqual([`ghcr.io/flannel-io/flannel:${version}`]);
    // 3. Rolled out on every node before CoreDNS and the scene.
    expect(flannel.at(-1)).toMatchObject({ kind: 'wait', what: { kind: 'DaemonSet', namespace: 'kube-flannel', name: 'kube-flannel-ds' }, condition: 'rollout' });
    expect(plan.steps.findIndex((step) => step.component === 'coredns')).toBeGreaterThan(plan.steps.indexOf(flannel.at(-1) as PlanStep));
    // The layered set's NetworkPolicies are applied on flannel, and the traits say nothing enforces them.
    const traits = stackTraits(plan.profile);
    expect(traits.enforcesNetworkPolicy).toBe(false);
    expect(buildPolicySet(traits).cni.map((object) => object.kind)).toContain('NetworkPolicy');
    expect(buildPolicySet(traits).cni.every((object) => object.kind === 'NetworkPolicy')).toBe(true);
  });

  it('the CRD validator is strict enough to catch a misspelt field and a wrong enum', () => {
    const installation = appliedObjects(planFor('calico')).find((object) => object.kind === 'Installation');
    if (installation === undefined) throw new Error('no Installation');
    const typo = { ...installation, spec: { calicoNetwork: { linuxDataplan: 'Iptables' } } };
    expect(JSON.stringify(crds.validate(typo))).toMatch(/linuxDataplan/);
    const wrongEnum = { ...installation, spec: { calicoNetwork: { linuxDataplane: 'Nftable' } } };
    expect(crds.validate(wrongEnum).ok).toBe(false);
  });

  it('with the scene and policy set from manifests/, the plan writes them as its last (scene) steps', () => {
    const profile = profiles.find((candidate) => candidate.id === 'cilium+istio-ambient');
    if (profile === undefined) throw new Error('no profile');
    const set = buildPolicySet(stackTraits(profile));
    const policies = [...set.admission, ...set.cni, ...set.mesh];
    const plan = planKindProfile(profile, pins, { runId: 'r1a2b3', scene: { scene: buildScene(stackTraits(profile)), policies } });
    const sceneSteps = plan.steps.filter((step) => step.phase === 'scene');
    expect(sceneSteps.map((step) => step.component)).toEqual(['scene', 'policies']);
    expect(plan.steps.slice(-2)).toEqual(sceneSteps);
    const written = parseAllDocuments(plan.files.find((file) => file.path === 'manifests/policies.yaml')?.content ?? '').map((document) => document.toJSON() as KubeObject);
    expect(written.map((object) => object.kind)).toContain('Gateway');
    expect(written).toHaveLength(policies.length);
  });

  it('orders the steps: cluster, images and sink, CNI, CoreDNS, mesh; every wait has a named timeout', () => {
    for (const profile of profiles) {
      const plan = planFor(profile.id);
      const components = plan.steps.map((step) => step.component);
      expect(components[0]).toBe('kind');
      const index = (component: string): number => components.indexOf(component as (typeof components)[number]);
      expect(index('sink')).toBeGreaterThan(index('kind'));
      expect(index('coredns')).toBeGreaterThan(index('sink'));
      if (profile.cni !== 'kindnet') {
        expect(index(profile.cni)).toBeGreaterThan(index('sink'));
        expect(index(profile.cni)).toBeLessThan(index('coredns'));
      }
      if (profile.mesh !== 'none') expect(index('istiod')).toBeGreaterThan(index('coredns'));
      const phases = plan.steps.map((step) => ['cluster', 'side-containers', 'stack', 'scene'].indexOf(step.phase));
      expect(phases).toEqual([...phases].sort((a, b) => a - b));
      for (const step of plan.steps) {
        if (step.kind !== 'wait') continue;
        const probe = step.what.kind === 'Pod' && step.what.namespace === DNS_PROBE_NAMESPACE;
        expect(step.timeoutMs).toBe(probe ? TIMEOUTS.corednsForwardingMs : TIMEOUTS.componentReadyMs);
      }
    }
  });

  it('CoreDNS forwarding is proven, not assumed: Corefile, roll the Deployment, rollout, then a probe pod that must succeed', () => {
    for (const profile of profiles) {
      const coredns = planFor(profile.id).steps.filter((step) => step.component === 'coredns');
      expect(coredns.map((step) => (step.kind === 'apply' ? `apply ${step.file}${step.force ? ' (force)' : ''}` : step.kind === 'wait' ? `wait ${step.what.kind} ${step.condition}` : step.kind))).toEqual([
        'apply manifests/coredns.yaml (force)',
        'apply manifests/coredns-restart.yaml',
        'wait Deployment rollout',
        'apply manifests/coredns-probe.yaml',
        'wait Pod Succeeded',
      ]);
    }
    const plan = planKindProfile(profiles[0] as Profile, pins, { runId: 'r1a2b3', sinkIp: '172.18.0.9' });
    const steps = plan.steps.filter((step) => step.component === 'coredns');
    const corefile = (fileOf(plan, 'manifests/coredns.yaml') as { data: { Corefile: string } }).data.Corefile;
    const restart = steps[1]?.kind === 'apply' ? steps[1].objects[0] : undefined;
    // The annotation is the Corefile's hash: a changed Corefile rolls CoreDNS, the same one leaves it alone.
    expect(restart?.spec).toEqual({ template: { metadata: { annotations: { [COREFILE_HASH_ANNOTATION]: createHash('sha256').update(corefile).digest('hex') } } } });
    const probe = steps[3]?.kind === 'apply' ? steps[3].objects : [];
    expect(probe.map((object) => `${object.kind} ${object.metadata.namespace ?? ''}/${object.metadata.name}`)).toEqual([
      `Namespace /${DNS_PROBE_NAMESPACE}`,
      `Pod ${DNS_PROBE_NAMESPACE}/${steps[4]?.kind === 'wait' ? steps[4].what.name : ''}`,
    ]);
    const pod = probe[1] as { spec: { restartPolicy: string; activeDeadlineSeconds: number; containers: { image: string; command: string[] }[] } } | undefined;
    expect(pod?.spec).toMatchObject({ restartPolicy: 'Never', activeDeadlineSeconds: TIMEOUTS.corednsForwardingMs / 1000 });
    expect(pod?.spec.containers[0]?.image).toBe('breachmatrix/attacker:dev');
    // Only the sink answers TXT "ok" in the zone: upstream, .test names do not exist.
    expect(pod?.spec.containers[0]?.command.join(' ')).toMatch(/dig \+short \+time=2 \+tries=1 TXT dns-probe-[0-9a-f]{12}\.exfil\.test\)" = '"ok"'/);
    expect(probe.every((object) => object.metadata.labels?.['app.kubernetes.io/managed-by'] === 'breachmatrix')).toBe(true);
  });

  it('installs each stack at its pinned chart version, with a values file for every release', () => {
    const versions = pins.versionSets['pinned'];
    for (const profile of profiles) {
      const plan = planFor(profile.id);
      const helm = plan.steps.filter((step): step is ExecStep => step.kind === 'exec' && step.tool === 'helm');
      for (const step of helm) {
        const values = step.args[step.args.indexOf('--values') + 1];
        expect(plan.files.map((file) => file.path)).toContain(values);
      }
      const releases = Object.fromEntries(helm.map((step) => [step.args[2], step.args[step.args.indexOf('--version') + 1]]));
      const expected: Record<string, string | undefined> = {};
      if (profile.cni === 'calico') expected['calico'] = versions?.calico;
      if (profile.cni === 'cilium') expected['cilium'] = versions?.cilium;
      if (profile.mesh !== 'none') {
        expected['istio-base'] = versions?.istio;
        expected['istiod'] = versions?.istio;
        expected['istio-cni'] = versions?.istio;
      }
      if (profile.mesh === 'istio-ambient') expected['ztunnel'] = versions?.istio;
      expect(releases).toEqual(expected);
    }
  });

  it('Istio logs JSON access logs to stdout; ambient runs base, istiod, cni and ztunnel with profile=ambient', () => {
    const sidecar = planFor('istio-sidecar');
    expect(fileOf(sidecar, 'values/istiod.yaml')).toMatchObject({
      meshConfig: { accessLogFile: '/dev/stdout', accessLogEncoding: 'JSON' },
      pilot: { cni: { enabled: true }, resources: { requests: { cpu: '100m' } } },
    });
    const ambient = planFor('cilium+istio-ambient');
    expect(fileOf(ambient, 'values/istiod.yaml')).toMatchObject({ profile: 'ambient', meshConfig: { accessLogEncoding: 'JSON' } });
    expect(fileOf(ambient, 'values/istio-cni.yaml')).toMatchObject({ profile: 'ambient' });
    expect(fileOf(ambient, 'values/ztunnel.yaml')).toMatchObject({ profile: 'ambient', logAsJson: true });
  });

  it('--policy-set hardened renders the recommended path normalisation into istiod\'s meshConfig (sidecar and ambient); baseline keeps Istio\'s default', () => {
    for (const id of ['istio-sidecar', 'cilium+istio-ambient']) {
      const profile = profiles.find((candidate) => candidate.id === id);
      if (profile === undefined) throw new Error(`no profile ${id}`);
      const hardened = planKindProfile(withPolicyStrength(profile, 'hardened'), pins, { runId: 'r1a2b3' });
      expect(fileOf(hardened, 'values/istiod.yaml'), id).toMatchObject({ meshConfig: { accessLogEncoding: 'JSON', pathNormalization: { normalization: 'DECODE_AND_MERGE_SLASHES' } } });
      expect((fileOf(planFor(id), 'values/istiod.yaml') as { meshConfig: object }).meshConfig, id).not.toHaveProperty('pathNormalization');
    }
  });

  it('every ambient profile, pinned and next, applies the vendored Gateway API release files from the plan directory, no URL', async () => {
    const next = (await loadProfileCatalog(join(DEFAULT_REPO_DIR, 'clusters/kind/profiles-next.yaml'))).profiles;
    const ambient = [...profiles, ...next].filter((profile) => profile.mesh === 'istio-ambient');
    expect(ambient.map((profile) => profile.id)).toEqual([
      'istio-ambient',
      'calico+istio-ambient',
      'cilium+istio-ambient',
      'cilium-wireguard+istio-ambient',
      'istio-ambient@next',
      'calico+istio-ambient@next',
      'cilium+istio-ambient@next',
      'cilium-wireguard+istio-ambient@next',
    ]);
    for (const profile of ambient) {
      const plan = planKindProfile(profile, pins, { runId: 'r1a2b3' });
      const version = profile.versions.gatewayApi ?? '';
      const bundle = loadGatewayApiBundle(version);
      const gateway = plan.steps.filter((step) => step.component === 'gateway-api');
      const files = bundle.manifests.map((manifest) => `manifests/gateway-api/${version}/${manifest.upstreamPath.split('/').at(-1) ?? ''}`);
      expect(gateway.map((step) => renderStep(step)), profile.id).toEqual([
        ...files.map((file) => `kubectl --kubeconfig kubeconfig apply --server-side --field-manager=breachmatrix --filename ${file}`),
        ...bundle.crdNames.map((name) => `kubectl --kubeconfig kubeconfig wait customresourcedefinition/${name} --for=condition=Established --timeout=${Math.ceil(TIMEOUTS.componentReadyMs / 1000)}s`),
      ]);
      for (const [index, file] of files.entries()) {
        // The plan writes the vendored bytes and applies exactly their documents.
        expect(plan.files.find((candidate) => candidate.path === file)?.content, file).toBe(bundle.manifests[index]?.content);
        expect((gateway[index] as ApplyStep).objects).toEqual(parseAllDocuments(bundle.manifests[index]?.content ?? '').map((document) => document.toJSON() as KubeObject));
      }
      // Before anything uses them: every CRD Established before Istio's base chart.
      const components = plan.steps.map((step) => step.component);
      expect(components.lastIndexOf('gateway-api')).toBeLessThan(components.indexOf('istio-base'));
      // Applies from the plan directory and waits: no step kind exists that downloads.
      expect(new Set(gateway.map((step) => step.kind))).toEqual(new Set(['apply', 'wait']));
    }
  });

  it('forwards exfil.test to the sink in the CoreDNS Corefile, keeping the cluster zone', () => {
    const plan = planKindProfile(profiles[0] as Profile, pins, { runId: 'r1a2b3', sinkIp: '172.18.0.9' });
    const corefile = (fileOf(plan, 'manifests/coredns.yaml') as { data: { Corefile: string } }).data.Corefile;
    expect(corefile).toContain('exfil.test:53 {');
    expect(corefile).toContain('forward . 172.18.0.9:53');
    expect(corefile).toContain('kubernetes cluster.local in-addr.arpa ip6.arpa {');
    // The metadata address is DNATed to the sink on every node: pod traffic in PREROUTING, host-network pods and
    // node processes in OUTPUT.
    const dnat = plan.steps.filter((step): step is ExecStep => step.kind === 'exec' && step.component === 'metadata').map((step) => step.args.join(' '));
    const rule = (node: string, chain: string): string =>
      `exec ${plan.clusterName}-${node} iptables -t nat -I ${chain} -d 169.254.169.254/32 -p tcp --dport 80 -j DNAT --to-destination 172.18.0.9:80`;
    expect(dnat).toEqual(['control-plane', 'worker', 'worker2'].flatMap((node) => [rule(node, 'PREROUTING'), rule(node, 'OUTPUT')]));
    expect(plan.steps.find((step) => step.kind === 'container' && step.component === 'sink')).toMatchObject({ command: expect.arrayContaining(['--metadata-port', '80']) });
    // Planning with and without the sink's address differs, among the files, in the Corefile and what carries its hash.
    const placeholder = planFor(profiles[0]?.id ?? '');
    const differing = plan.files.filter((file, index) => file.content !== placeholder.files[index]?.content).map((file) => file.path);
    expect(differing).toEqual(['manifests/coredns.yaml', 'manifests/coredns-restart.yaml', 'manifests/coredns-probe.yaml']);
    expect(JSON.stringify(placeholder.files)).toContain(SINK_IP_PLACEHOLDER);
  });

  it('the registry cache adds a containerd patch, a reused cache container and per-node hosts.toml', () => {
    const plan = planKindProfile(profiles[1] as Profile, pins, { runId: 'r1a2b3', registryCache: true });
    expect(kindConfigSchema.parse(fileOf(plan, 'kind-config.yaml')).containerdConfigPatches?.[0]).toContain('config_path = "/etc/containerd/certs.d"');
    const cache = plan.steps.find((step) => step.kind === 'container' && step.component === 'registry-cache');
    expect(cache).toMatchObject({ reuse: true, image: pins.images.registryCache, phase: 'side-containers' });
    // The cache is up and every node points at it before the stack's charts pull anything.
    const firstStack = plan.steps.findIndex((step) => step.phase === 'stack');
    expect(plan.steps.findLastIndex((step) => step.component === 'registry-cache')).toBeLessThan(firstStack);
    const nodes = plan.steps.filter((step): step is ExecStep => step.kind === 'exec' && step.component === 'registry-cache').map((step) => step.args[1]);
    expect(nodes).toEqual([`${plan.clusterName}-control-plane`, `${plan.clusterName}-worker`, `${plan.clusterName}-worker2`]);
  });

  it('writePlan writes the files and steps.txt with the exact commands', async () => {
    const out = await mkdtemp(join(tmpdir(), 'bm-plan-'));
    try {
      const plan = planFor('cilium+istio-sidecar');
      const lines = await writePlan(plan, out);
      expect(lines).toHaveLength(plan.steps.length);
      const steps = await readFile(join(out, 'steps.txt'), 'utf8');
      expect(steps).toContain(`1. [cluster/kind] kind create cluster --name ${plan.clusterName} --config kind-config.yaml --kubeconfig kubeconfig`);
      expect(steps).toMatch(/helm upgrade --install cilium cilium --repo https:\/\/helm.cilium.io --version 1\.20\.0 .*--values values\/cilium.yaml/);
      expect(steps).toContain('kubectl --kubeconfig kubeconfig rollout status daemonset/cilium --namespace kube-system --timeout=600s');
      expect(steps).toMatch(/kubectl --kubeconfig kubeconfig wait pod\/dns-probe-[0-9a-f]{12} --namespace bm-dns-probe '--for=jsonpath=\{\.status\.phase\}=Succeeded' --timeout=180s/);
      for (const file of plan.files) expect(await readFile(join(out, file.path), 'utf8')).toBe(file.content);
      const written = parseAllDocuments(await readFile(join(out, 'kind-config.yaml'), 'utf8'));
      expect(written).toHaveLength(1);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  it('loads the harness images into the nodes and preloads the Cilium image only when its pinned digest is for this version', async () => {
    const execs = (plan: KindPlan): string[] =>
      plan.steps.filter((step): step is ExecStep => step.kind === 'exec' && step.component === 'images').map((step) => [step.tool, ...step.args].join(' '));
    const preloadsCilium = (line: string): boolean => line.includes('cilium/cilium') || line.includes('cilium-image.tar');
    const ciliumProfile = profiles.find((profile) => profile.id === 'cilium') as Profile;
    const cilium = execs(planKindProfile(ciliumProfile, pins, { runId: 'r1a2b3', dockerServerVersion: '28.0.4' }));
    const clusterName = planFor('cilium').clusterName;
    expect(cilium).toContain(`kind load docker-image breachmatrix/attacker:dev breachmatrix/sink:dev --name ${clusterName}`);
    expect(cilium).toContain(`docker image save --platform linux/amd64 --output cilium-image.tar ${pins.images.cilium}`);
    // Docker 27 (or an unknown version) has no `image save --platform`: every node pulls the pinned digest itself.
    for (const dockerServerVersion of ['27.5.1', 'unknown', undefined]) {
      const old = execs(planKindProfile(ciliumProfile, pins, { runId: 'r1a2b3', ...(dockerServerVersion === undefined ? {} : { dockerServerVersion }) }));
      expect(old.filter(preloadsCilium)).toEqual(
        ['control-plane', 'worker', 'worker2'].map((node) => `docker exec ${clusterName}-${node} crictl pull ${pins.images.cilium}`),
      );
    }
    expect(execs(planFor('calico')).some(preloadsCilium)).toBe(false);
    const next = (await loadProfileCatalog(join(DEFAULT_REPO_DIR, 'clusters/kind/profiles-next.yaml'))).profiles.find((profile) => profile.id === 'cilium@next');
    if (next === undefined) throw new Error('no cilium@next');
    // `next` pins the same Cilium (1.20.0, the newest verifiable chart): the pinned digest is preloaded there too.
    expect(execs(planKindProfile(next, pins, { runId: 'r1a2b3', dockerServerVersion: '28.0.4' })).some(preloadsCilium)).toBe(true);
    // A version the pinned digest is not for (e.g. a `next` bumped to 1.20.1): the chart pulls its own image instead.
    const bumped: Profile = { ...next, versions: { ...next.versions, cilium: '1.20.1' } };
    expect(execs(planKindProfile(bumped, pins, { runId: 'r1a2b3', dockerServerVersion: '28.0.4' })).some(preloadsCilium)).toBe(false);
    expect(execs(planKindProfile(bumped, pins, { runId: 'r1a2b3' })).some(preloadsCilium)).toBe(false);
  });

  it('refuses lab stacks and run ids that cannot name a cluster', () => {
    const lab: Profile = { ...(profiles[0] as Profile), lab: 'lab:none' };
    expect(() => planKindProfile(lab, pins, { runId: 'r1' })).toThrow(/lab stack/);
    expect(() => planKindProfile(profiles[0] as Profile, pins, { runId: 'Bad_Id' })).toThrow(/run id/);
  });
});
