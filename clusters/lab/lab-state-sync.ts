import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TIMEOUTS } from '../../core/timeouts.ts';
import { CoalescingSync } from './coalescing-sync.ts';
import { dnsRecords } from './dns/dns-records.ts';
import { mustRun } from './host-command.ts';
import { serviceNamed, servicePorts, serviceSelector } from './lab-objects.ts';
import type { LabPod } from './lab-pod.ts';
import type { LabState } from './lab-state.ts';
import { compileNodeRuleset } from './netpol/compile.ts';
import { renderRuleset } from './netpol/render.ts';
import { KubeProxyTables, type VipForward } from './service-vips.ts';
import { netnsCommand } from './netns-command.ts';

interface LoadedRuleset {
  readonly chains: string[];
  readonly counters: string[];
  readonly sourceSets: string[];
  readonly text: string;
}

/** Keeps the lab's DNS records and each node's NetworkPolicy ruleset in step with the pods and objects it holds. */
export class LabStateSync {
  private readonly state: LabState;
  private readonly sync = new CoalescingSync(() => this.syncState());
  private readonly loadedRulesets = new Map<string, LoadedRuleset>();
  private loadedDnsRecords = '';
  private readonly kubeProxy = new KubeProxyTables();

  constructor(state: LabState) {
    this.state = state;
  }

  /** DNS records and rulesets reflect every pod and object known when this is called, once it resolves. */
  resyncAll(): Promise<void> {
    return this.sync.request();
  }

  private async syncState(): Promise<void> {
    const state = this.state;
    if (state.tornDown) return;
    const pods = [...state.pods.values()].filter((candidate) => !candidate.deleted);
    const services = [...state.services.values()].map((service) => ({
      namespace: service.metadata.namespace ?? '',
      name: service.metadata.name,
      selector: serviceSelector(service),
    }));
    const podAddresses = pods.map((p) => ({ namespace: p.namespace, labels: p.labels, ip: p.ip, hostNetwork: p.hostNetwork }));
    const records = dnsRecords(services, podAddresses, (service) => state.serviceVips.of(`${service.namespace}/${service.name}`));
    const recordsText = JSON.stringify({ names: records });
    if (recordsText !== this.loadedDnsRecords) {
      // Renamed into place: the resolver never reads a half-written file.
      const recordsFile = join(state.workDir, 'dns-records.json');
      await writeFile(`${recordsFile}.tmp`, recordsText, { mode: 0o644 });
      await rename(`${recordsFile}.tmp`, recordsFile);
      this.loadedDnsRecords = recordsText;
    }
    await Promise.all([this.syncNetworkPolicy(pods), this.syncServiceVips(pods)]);
  }

  /** The kube-proxy stand-in's DNAT from each Service VIP to the pods it selects (service-vips.ts). */
  private async syncServiceVips(pods: readonly LabPod[]): Promise<void> {
    const state = this.state;
    const forwards: VipForward[] = [];
    for (const [key, vip] of state.serviceVips.entries()) {
      const service = serviceNamed(state, key);
      if (service === undefined) continue;
      const selector = Object.entries(serviceSelector(service));
      const endpoints = pods
        .filter((pod) => !pod.hostNetwork && pod.namespace === service.metadata.namespace && selector.length > 0)
        .filter((pod) => selector.every(([label, value]) => pod.labels[label] === value))
        .map((pod) => pod.ip)
        .sort();
      for (const port of servicePorts(service)) forwards.push({ vip, port: port.port, targetPort: port.targetPort, endpoints });
    }
    await this.kubeProxy.sync(state.nodes.map((node) => state.names.node(node.index)), forwards);
  }

  private async syncNetworkPolicy(pods: readonly LabPod[]): Promise<void> {
    const state = this.state;
    if (!state.enforcesNetworkPolicy) return;
    const input = {
      policies: [...state.policies.values()],
      namespaces: state.namespaces,
      pods: pods.map((p) => ({
        id: String(p.index),
        namespace: p.namespace,
        name: p.name,
        ip: p.ip,
        node: p.node.name,
        hostNetwork: p.hostNetwork,
        labels: p.labels,
        ports: p.ports,
        ...(p.nodeVeth === undefined ? {} : { veth: p.nodeVeth }),
      })),
    };
    await Promise.all(
      state.nodes.map(async (node) => {
        const ruleset = compileNodeRuleset(input, node.name);
        const before = this.loadedRulesets.get(node.name);
        const chains = new Set(ruleset.chains.map((chain) => chain.name));
        const counters = new Set(ruleset.counters);
        const sourceSets = new Set(ruleset.sourceSets);
        const text = renderRuleset(ruleset, {
          staleChains: (before?.chains ?? []).filter((name) => !chains.has(name)),
          staleCounters: (before?.counters ?? []).filter((name) => !counters.has(name)),
          staleSourceSets: (before?.sourceSets ?? []).filter((name) => !sourceSets.has(name)),
        });
        // A node whose ruleset did not change (most pods change one or two nodes' rules) is not reloaded.
        if (before?.text === text) return;
        await mustRun(...netnsCommand(state.names.node(node.index), 'nft', ['-f', '-']), {
          input: text,
          timeoutMs: TIMEOUTS.labPodReadyMs,
        }, 'lab netpol');
        this.loadedRulesets.set(node.name, { chains: [...chains], counters: [...counters], sourceSets: [...sourceSets], text });
      }),
    );
  }
}
