import type { Fix } from '../../../core/domain/attack.ts';
import { FIX, rating, type AdviceTable } from '../fix-builders.ts';
import { REF } from '../references.ts';

const meshEncryption: Fix = {
  layer: 'mesh-sidecar',
  feature: 'Istio automatic mutual TLS (sidecar) or ambient ztunnel HBONE',
  policy: 'enrol both workloads in the mesh (sidecar injection or ambient) so their traffic leaves the pod encrypted; STRICT PeerAuthentication keeps plaintext out',
  source: REF.istioMutualTls,
};

/** Severity and fixes of the eavesdropping family. */
export const EAVESDROPPING_ADVICE: AdviceTable = {
  EV1: {
    severity: rating('high', 'a node-level pod reads requests between workloads, credentials and data included'),
    fixes: (stack) => [
      ...(stack.mesh === 'none' ? [meshEncryption] : []),
      FIX.podSecurityBaseline('hostNetwork and NET_RAW'),
    ],
  },
  EV2: {
    severity: rating('high', 'anyone on the network between the nodes reads requests between workloads'),
    fixes: (stack) => (stack.mesh === 'none' ? [meshEncryption] : []),
  },
};
