import { defineAttack } from '../define-attack.ts';
import { allowed, blocked, cniDrop, cniEnforces, labNote, sidecarEnforces } from '../expectation-builders.ts';
import { plan, sinkUrl } from '../plans.ts';
import { sinkControl } from '../controls.ts';
import { REF } from '../references.ts';
import { intruder } from '../attackers.ts';
import { composeScript } from '../../script-loader.ts';

const ID = 'SC4';
const TAG = `application init containers run before the proxy (injection order); with istio-cni their traffic is captured before the proxy listens — ${REF.istioCni.cite}; ${REF.istioNativeSidecars.cite}`;
const SCRIPT = 'http-probe.sh';
/** Container name the runner reads the result from (PodHandle.logs). */
export const SC4_INIT_CONTAINER = 'attack';

export const SC4 = defineAttack({
  id: ID,
  family: 'sidecar-bypass',
  title: 'Call out from an init container, before the proxy runs',
  technique: 'intruder carries an init container that sends HTTP with the canary to the sink; without native sidecars it runs before istio-proxy starts.',
  preconditions: ['the pod may declare init containers'],
  references: [REF.istioCni, REF.istioNativeSidecars, REF.networkPolicy],
  success: 'sink-canary',
  source: TAG,
  attempt: (context) => {
    const env = { TARGET_URL: sinkUrl(context) };
    const draft = plan({
      pod: intruder(context, ID, 'attempt').build(),
      script: SCRIPT,
      canary: context.canary,
      env,
      flow: { protocol: 'http', destinationIp: context.addresses.sink.ip, destinationPort: context.addresses.sink.httpPort },
      placement: 'init-container',
    });
    // The init container runs lib.sh + the script with the plan's full env; its log holds the result line.
    return { ...draft, pod: intruder(context, ID, 'attempt').initContainer(SC4_INIT_CONTAINER, composeScript(SCRIPT), draft.env).build() };
  },
  control: (context) => sinkControl(context, ID, 'http'),
  expect: (stack) => {
    if (sidecarEnforces(stack)) {
      // Either ordering ends at the sidecar, before any packet reaches the CNI: istio-cni without native sidecars
      // redirects to a proxy that is not listening yet (traffic lost: refused); with native sidecars the proxy
      // runs first and REGISTRY_ONLY blackholes the call. istio-init (istioCni: false) would let it out (A).
      if (stack.isLab) {
        return blocked('mesh-sidecar', 'refused', `${TAG}; lab: capture installed before init containers, proxy started after`, 'inferred', labNote(stack));
      }
      return blocked('mesh-sidecar', undefined, TAG, 'version-dependent', 'refused (istio-cni, no native sidecars) or 502/closed (native sidecar + REGISTRY_ONLY); assumes istioCni: true');
    }
    if (cniEnforces(stack)) return cniDrop(TAG, 'documented', labNote(stack));
    if (stack.mesh === 'istio-ambient') return allowed(`${TAG}; ambient: ztunnel passes the egress`, 'inferred', labNote(stack, 'redirection and ztunnel exist before any container runs; ztunnel passes egress'));
    return allowed(TAG, 'documented', labNote(stack));
  },
});
