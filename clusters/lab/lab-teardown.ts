import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { AmbientLayer } from './ambient/ambient-layer.ts';
import { removeLabSync } from './interrupt-teardown.ts';
import { LAB_BASE_DIR } from './lab-base-dir.ts';
import type { LabState } from './lab-state.ts';
import { ownerFilePath, removeOwnerFile } from './lab-sweep.ts';
import { reclaimProxySocketFolders } from './sidecar/index.ts';
import { deleteNetns, netnsPids, removeNetnsEtc } from './topology.ts';

/** Removes everything the lab made: proxies, ambient stand-ins, processes, namespaces, folders, the owner file. */
export async function removeLab(state: LabState, ambient: AmbientLayer | undefined): Promise<void> {
  await Promise.all([...state.sidecars.values()].map((sidecar) => sidecar.stop().catch(() => undefined)));
  state.sidecars.clear();
  await ambient?.stopAll().catch(() => undefined);
  await state.registry.killAll();
  const namespaces = [...state.madeNetns];
  // Anything still inside a lab namespace (a daemon a pod forked off) dies with it.
  const stray = (await Promise.all(namespaces.map((ns) => netnsPids(ns)))).flat();
  for (const pid of stray) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  await deleteNetns(namespaces);
  await Promise.all(namespaces.map((ns) => removeNetnsEtc(ns)));
  await reclaimProxySocketFolders(join(state.workDir, 'sockets'));
  await rm(state.workDir, { recursive: true, force: true });
  await removeOwnerFile(LAB_BASE_DIR, state.names.prefix);
  state.madeNetns.clear();
}

/** Best effort without awaiting (second Ctrl-C, `exit` handler): processes, namespaces and their mounts, dirs. */
export function removeLabNow(state: LabState): void {
  const namespaces = [...state.madeNetns];
  removeLabSync({
    processGroups: state.registry.pids(),
    namespaces,
    paths: [state.workDir, ownerFilePath(LAB_BASE_DIR, state.names.prefix), ...namespaces.map((ns) => join('/etc/netns', ns))],
  });
}
