import type { KubeObject } from '../../../core/domain/cluster.ts';
import { peerAuthentications, ROOT_NAMESPACE, selects, type MtlsMode, type WorkloadRef } from './istio-objects.ts';

export type EffectiveMtlsMode = Exclude<MtlsMode, 'UNSET'>;

/** What the inbound listener of one workload accepts: a default and per-port overrides. */
export interface EffectivePeerAuthentication {
  readonly defaultMode: EffectiveMtlsMode;
  readonly ports: ReadonlyMap<number, EffectiveMtlsMode>;
}

/**
 * Istio's precedence: a workload-selecting policy in the pod's namespace overrides the namespace-wide one,
 * which overrides the mesh-wide one in the root namespace; UNSET inherits from the level above, and with
 * nothing at all the mesh default is PERMISSIVE. Port-level settings only count on a selecting policy.
 */
export function effectivePeerAuthentication(objects: readonly KubeObject[], workload: WorkloadRef): EffectivePeerAuthentication {
  const all = peerAuthentications(objects);
  const mesh = all.find((p) => p.namespace === ROOT_NAMESPACE && p.selector === undefined);
  const namespaceWide = all.find((p) => p.namespace === workload.namespace && p.selector === undefined);
  const workloadLevel = all.find(
    (p) => p.namespace === workload.namespace && p.selector !== undefined && selects(p.selector, workload.labels),
  );

  let mode: EffectiveMtlsMode = 'PERMISSIVE';
  for (const level of [mesh, namespaceWide, workloadLevel]) {
    if (level !== undefined && level.mode !== 'UNSET') mode = level.mode;
  }
  const ports = new Map<number, EffectiveMtlsMode>();
  for (const [port, portMode] of workloadLevel?.portLevel ?? []) {
    ports.set(port, portMode === 'UNSET' ? mode : portMode);
  }
  return { defaultMode: mode, ports };
}

export function modeForPort(effective: EffectivePeerAuthentication, port: number): EffectiveMtlsMode {
  return effective.ports.get(port) ?? effective.defaultMode;
}

/** What the inbound listener does with one connection, as Envoy's filter-chain match would. */
export function inboundAdmission(
  effective: EffectivePeerAuthentication,
  port: number,
  tls: boolean,
): 'terminate-mtls' | 'plaintext' | 'filter_chain_not_found' {
  const mode = modeForPort(effective, port);
  if (mode === 'DISABLE') return 'plaintext';
  if (tls) return 'terminate-mtls';
  return mode === 'STRICT' ? 'filter_chain_not_found' : 'plaintext';
}
