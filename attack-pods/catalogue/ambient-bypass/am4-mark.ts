import type { AttemptContext, AttemptPlan } from '../../../core/domain/attack.ts';
import type { StackTraits } from '../../../core/domain/profile.ts';
import { defineAttack } from '../define-attack.ts';
import { allowed, ambientEnforces, blocked, cniDrop, cniEnforces, labNote, sidecarEnforces } from '../expectation-builders.ts';
import { plan, serviceHost, workloadAddress } from '../plans.ts';
import { apiPodControl, sinkControl } from '../controls.ts';
import { REF } from '../references.ts';
import { intruder } from '../attackers.ts';
import { SCENE } from '../../../manifests/scene.ts';

/** ztunnel's own socket mark: the in-pod rules never capture a packet carrying it (istio-capture fixtures). */
export const AMBIENT_SKIP_MARK = 0x3;

const TAG = `the ambient in-pod rules never capture a socket carrying mark 0x3/0xfff (ztunnel's own) — ${REF.istioCaptureGoldenAmbient.cite}; ${REF.ambientRedirection.cite}; ${REF.soMarkNetRaw.cite}`;
const KERNEL =
  'SO_MARK needs CAP_NET_ADMIN or, since Linux 5.17 (commit 079925cce1d0), CAP_NET_RAW — in the runtime\'s default set and not an added capability, so PSA baseline admits the pod; older kernels: permission-denied → inconclusive';
const SIDECAR_NO_MARK_RULE = `sidecar capture has no mark exemption, the marked socket is captured like any other (${REF.istioCaptureGoldenSidecar.cite})`;
const MARK_STAYS_IN_POD = 'the mark does not leave the pod: it is cleared when the packet crosses the veth into the node, so the CNI judges it as usual';

function note(stack: StackTraits, extra?: string): string {
  return labNote(stack, extra === undefined ? KERNEL : `${extra}; ${KERNEL}`) ?? KERNEL;
}

function markedPlan(context: AttemptContext, id: string, host: string, port: number, extra: Readonly<Record<string, string>>, flowProtocol: 'tcp' | 'http'): AttemptPlan {
  return plan({
    // No added capability: the point is that the default set suffices.
    pod: intruder(context, id, 'attempt').build(),
    script: 'marked-tcp.sh',
    canary: context.canary,
    env: { TARGET_HOST: host, TARGET_PORT: String(port), SOCKET_MARK: String(AMBIENT_SKIP_MARK), ...extra },
    flow: { protocol: flowProtocol, destinationIp: host, destinationPort: port },
  });
}

/** AM4-mark: the unprivileged intruder marks its socket 0x3 and sends the canary to the sink over raw TCP. */
export const AM4_MARK = defineAttack({
  id: 'AM4-mark',
  family: 'ambient-bypass',
  title: 'Skip ambient capture with SO_MARK 0x3, no added capability (to the world)',
  technique:
    "intruder (no added capabilities) opens a TCP socket with SO_MARK 0x3 set before connect (socat) — ztunnel's own mark, which the in-pod rules never capture — and sends the canary as a line to the sink's raw TCP port.",
  preconditions: ['Linux >= 5.17 on the node (SO_MARK with CAP_NET_RAW)', 'the container runtime grants NET_RAW by default (containerd does) and the pod does not drop it'],
  references: [REF.ambientRedirection, REF.soMarkNetRaw, REF.podSecurityStandards, REF.istioCaptureGoldenAmbient, REF.istioCaptureGoldenSidecar, REF.networkPolicy],
  success: 'sink-canary',
  source: TAG,
  attempt: (context) => markedPlan(context, 'AM4-mark', context.addresses.sink.ip, context.addresses.sink.tcpPort, {}, 'tcp'),
  control: (context) => sinkControl(context, 'AM4-mark', 'tcp'),
  expect: (stack) => {
    // The sidecar's capture acts inside the pod, before the CNI (as for EG1): REGISTRY_ONLY blackholes it.
    if (sidecarEnforces(stack)) return blocked('mesh-sidecar', 'reset', `${TAG}; ${SIDECAR_NO_MARK_RULE}; BlackHoleCluster closes it (REGISTRY_ONLY)`, 'inferred', note(stack));
    if (cniEnforces(stack)) return cniDrop(TAG, 'inferred', note(stack, MARK_STAYS_IN_POD));
    if (stack.mesh === 'istio-ambient') return allowed(`${TAG}; the socket skips ztunnel: world A, no ztunnel record`, 'version-dependent', note(stack));
    if (stack.mesh === 'istio-sidecar') return allowed(`${TAG}; ${SIDECAR_NO_MARK_RULE}; no mesh policy: passthrough`, 'inferred', note(stack));
    return allowed(`${TAG}; no mesh: the mark means nothing, nothing filters egress`, 'version-dependent', note(stack));
  },
});

/** AM4-mark-mesh: the same marked socket into the STRICT mesh (plaintext, no identity). */
export const AM4_MARK_MESH = defineAttack({
  id: 'AM4-mark-mesh',
  family: 'ambient-bypass',
  title: "Skip ambient capture with SO_MARK 0x3, then call into the STRICT mesh",
  technique:
    "intruder (no added capabilities) sends plaintext GET /api/ping to api's pod IP:8080 from a socket marked 0x3 before connect; the source's ztunnel never sees it, api's ztunnel must refuse plaintext under STRICT.",
  preconditions: ['Linux >= 5.17 on the node (SO_MARK with CAP_NET_RAW)', "the attacker learned api's pod IP"],
  references: [REF.ambientRedirection, REF.soMarkNetRaw, REF.peerAuthentication, REF.istioCaptureGoldenAmbient, REF.istioCaptureGoldenSidecar, REF.networkPolicy],
  success: 'client-signal',
  source: `${TAG}; into the STRICT mesh: ztunnel refuses the plaintext, empty source identity`,
  attempt: (context) => {
    const api = workloadAddress(context, 'api');
    return markedPlan(
      context,
      'AM4-mark-mesh',
      api.podIp,
      SCENE.workloads.api.port,
      // The canary rides in the query too: L7 records of this request are attributable.
      { HTTP_PATH: `/api/ping?bm=${context.canary}`, HTTP_HOST: serviceHost('api') },
      'http',
    );
  },
  control: (context) => apiPodControl(context, 'AM4-mark-mesh'),
  expect: (stack) => {
    const source = `${TAG}; into the STRICT mesh: ztunnel refuses the plaintext, empty source identity`;
    if (cniEnforces(stack)) return cniDrop(source, 'inferred', note(stack, `intruder egress to api is default-deny; ${MARK_STAYS_IN_POD}`));
    if (sidecarEnforces(stack)) {
      return blocked('mesh-sidecar', undefined, `${source}; ${SIDECAR_NO_MARK_RULE}: mTLS as intruder, api's AuthorizationPolicy admits only frontend`, 'inferred', note(stack, '403 from api\'s sidecar'));
    }
    if (ambientEnforces(stack)) {
      return blocked('mesh-ztunnel', 'reset', `${source}; plaintext into STRICT is refused by api's ztunnel`, 'version-dependent', note(stack, 'ztunnel logs it with an empty src.identity'));
    }
    return allowed(`${source}; no mesh policy checks the caller`, 'version-dependent', note(stack));
  },
});
