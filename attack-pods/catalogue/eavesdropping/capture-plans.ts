import type { AttemptContext, AttemptPlan } from '../../../core/domain/attack.ts';
import { TIMEOUTS } from '../../../core/timeouts.ts';
import { CAPTURE_STOP_PORT } from '../../script-stop.ts';
import type { PodBuilder } from '../../../manifests/pod-builder.ts';
import { SCENE } from '../../../manifests/scene.ts';
import { frontendImpostor } from '../attackers.ts';
import { apiPodHttpPlan, plan, serviceHost, workloadAddress } from '../plans.ts';

/** Where the control's sniffer sends its own plaintext canary (TCP), to prove it captures and reads payloads. */
export interface SelfSend {
  readonly host: string;
  readonly port: number;
}

/**
 * packet-capture.sh in `sniffer`: TCP to and from api's pod IP from the moment its capture is open (it says so on
 * stdout; TIMEOUTS.captureOpenMs bounds the wait) until the harness ends it once the victim's request returned, at most
 * TIMEOUTS.captureMaxSeconds (attack-pods/script-stop.ts). With `selfSend` (the positive control) it also sends its own
 * canary there in plaintext once the capture is open, ends its capture TIMEOUTS.captureDrainMs after that send, and passes only when it captured it; the
 * capture then follows that host (the flow is the control's own).
 */
export function capturePlan(context: AttemptContext, sniffer: PodBuilder, selfSend?: SelfSend): AttemptPlan {
  const api = workloadAddress(context, 'api');
  const host = selfSend?.host ?? api.podIp;
  const port = selfSend?.port ?? SCENE.workloads.api.port;
  return plan({
    pod: sniffer.build(),
    script: 'packet-capture.sh',
    canary: context.canary,
    env: {
      CAPTURE_HOST: host,
      CAPTURE_MAX_SECONDS: String(TIMEOUTS.captureMaxSeconds),
      CAPTURE_DRAIN_SECONDS: String(Math.ceil(TIMEOUTS.captureDrainMs / 1000)),
      CAPTURE_STOP_PORT: String(CAPTURE_STOP_PORT),
      ...(selfSend === undefined ? {} : { SELF_SEND: '1', SELF_PORT: String(port) }),
    },
    flow: { protocol: 'tcp', destinationIp: host, destinationPort: port },
  });
}

/**
 * The victim: frontend's identity asks api's pod IP for `/api/ping` with the attempt's canary (http-probe.sh sends
 * it as a header) — the scene's one permitted call to api. On `node` when given (EV2 needs it cross-node).
 */
export function victimRequest(context: AttemptContext, attackId: string, node?: string): AttemptPlan {
  const builder = frontendImpostor(context, attackId, 'control');
  const request = apiPodHttpPlan((node === undefined ? builder : builder.onNode(node)).build(), context, SCENE.workloads.api.port, '/api/ping');
  return { ...request, env: { ...request.env, HOST_HEADER: `${serviceHost('api')}:${SCENE.workloads.api.port}` } };
}
