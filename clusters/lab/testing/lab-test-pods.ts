import type { V1Pod } from '@kubernetes/client-node';
import { vi } from 'vitest';
import type { ExecResult, PodHandle } from '../../../core/domain/cluster.ts';
import type { EvidenceItem, FlowDescriptor } from '../../../core/domain/evidence.ts';
import type { LabCluster } from '../lab-cluster.ts';

/** The pods an integration test starts in its lab, by name; a refused pod fails the set-up. */
export class LabTestPods {
  private readonly pods = new Map<string, PodHandle>();

  async start(lab: LabCluster, specs: readonly V1Pod[]): Promise<void> {
    for (const spec of specs) {
      const created = await lab.createPod(spec, { timeoutMs: 10_000 });
      if (created.status !== 'running') throw new Error(`${spec.metadata?.name} was rejected: ${created.message}`);
      this.pods.set(created.pod.name, created.pod);
    }
  }

  readonly get = (name: string): PodHandle => {
    const handle = this.pods.get(name);
    if (handle === undefined) throw new Error(`no pod ${name}`);
    return handle;
  };

  /** curl from pod `from`; stdout is the HTTP status code (000 when nothing answered within 3 s). */
  readonly curl = (from: string, url: string): Promise<ExecResult> =>
    this.get(from).exec(['curl', '-sS', '-o', '/dev/null', '-w', '%{http_code}', '-m', '3', url], { timeoutMs: 6_000 });
}

/** The lab's evidence for `flow` since `from`, polled until `ready` holds: a layer writes its line when the connection closes. */
export function waitForEvidence(
  lab: LabCluster,
  from: Date,
  flow: FlowDescriptor,
  ready: (items: readonly EvidenceItem[]) => boolean,
): Promise<readonly EvidenceItem[]> {
  return vi.waitFor(
    async () => {
      const items = await lab.collectEvidence({ window: { from, to: new Date(Date.now() + 1_000) }, flow });
      if (!ready(items)) throw new Error(`evidence not there yet: ${JSON.stringify(items.map((i) => i.detail))}`);
      return items;
    },
    { timeout: 4_000, interval: 100 },
  );
}
