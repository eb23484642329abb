import { TIMEOUTS } from '../../../core/timeouts.ts';
import { CoalescingSync } from '../coalescing-sync.ts';
import { mustRun } from '../host-command.ts';
import { HOST_PROBE_SETTINGS, renderHostProbeRuleset, type HostProbeMember, type HostProbeSettings } from './host-probe-rules.ts';
import { netnsCommand } from '../netns-command.ts';

/** A lab node as the host rules need it: its name and the network namespace that stands in for its host. */
export interface HostProbeNode {
  readonly name: string;
  readonly netns: string;
}

/** An ambient pod and the node it runs on. */
export interface HostProbeNodeMember extends HostProbeMember {
  readonly node: string;
}

/**
 * Keeps every node's host probe table (host-probe-rules.ts) equal to the node's current ambient pods. Requests
 * coalesce (a burst of pods costs two or three syncs), and a node whose text did not change is not reloaded, so a
 * pod on one node reloads only that node.
 */
export class HostProbeSync {
  private readonly nodes: () => readonly HostProbeNode[];
  private readonly members: () => readonly HostProbeNodeMember[];
  private readonly settings: HostProbeSettings;
  private readonly loaded = new Map<string, string>();
  private readonly sync = new CoalescingSync(() => this.syncAll());
  private stopped = false;

  constructor(nodes: () => readonly HostProbeNode[], members: () => readonly HostProbeNodeMember[], settings: HostProbeSettings = HOST_PROBE_SETTINGS) {
    this.nodes = nodes;
    this.members = members;
    this.settings = settings;
  }

  /** Resolves once a sync that started after this call has loaded every changed node. */
  request(): Promise<void> {
    return this.sync.request();
  }

  /** The lab is going away: later requests do nothing (the node namespaces may already be gone). */
  stop(): void {
    this.stopped = true;
  }

  /** The text last loaded into a node (for tests and diagnostics). */
  loadedText(node: string): string | undefined {
    return this.loaded.get(node);
  }

  private async syncAll(): Promise<void> {
    if (this.stopped) return;
    const members = this.members();
    await Promise.all(
      this.nodes().map(async (node) => {
        const text = renderHostProbeRuleset(this.settings, members.filter((member) => member.node === node.name));
        if (this.loaded.get(node.name) === text) return;
        await mustRun(...netnsCommand(node.netns, 'nft', ['-f', '-']), { input: text, timeoutMs: TIMEOUTS.labPodReadyMs }, 'lab-ambient');
        this.loaded.set(node.name, text);
      }),
    );
  }
}
