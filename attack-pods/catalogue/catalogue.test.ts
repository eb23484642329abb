import { beforeAll, describe, expect, it } from 'vitest';
import { KIND_PROFILE_IDS, LAB_PROFILE_IDS, loadAllStackTraits } from '../../core/config/testing/all-profiles.ts';
import type { AttackDefinition, AttemptContext } from '../../core/domain/attack.ts';
import { BadInputError } from '../../core/domain/errors.ts';
import type { StackTraits } from '../../core/domain/profile.ts';
import { isClientSignal } from '../../core/domain/signal.ts';
import { stackLayers } from '../../core/domain/stack-layers.ts';
import { TIMEOUTS } from '../../core/timeouts.ts';
import { SCENE } from '../../manifests/scene.ts';
import { podSecurityViolations } from '../../core/admission/pod-security.ts';
import { InfrastructureError } from '../../core/domain/errors.ts';
import { composeScript } from '../script-loader.ts';
import { planContext, stackAttackCases, TEST_CANARY } from './testing/stack-attack-cases.ts';
import { testAddresses } from './testing/test-addresses.ts';
import { ATTACKS, findAttacks } from './index.ts';
import { encryptionExpectation } from './eavesdropping/expectations.ts';

const CANARY = TEST_CANARY;
const CONTEXT_ADDRESSES = testAddresses();

let stacks: StackTraits[] = [];

beforeAll(async () => {
  stacks = await loadAllStackTraits();
});

function stack(id: string): StackTraits {
  const found = stacks.find((candidate) => candidate.profileId === id);
  if (found === undefined) throw new Error(`no profile ${id}`);
  return found;
}

function attack(id: string): AttackDefinition {
  const found = ATTACKS.find((candidate) => candidate.id === id);
  if (found === undefined) throw new Error(`no attack ${id}`);
  return found;
}

describe('catalogue contents', () => {
  it('covers the ten kind profiles and the five lab stacks', () => {
    expect(stacks.map((s) => s.profileId).sort()).toEqual([...KIND_PROFILE_IDS, ...LAB_PROFILE_IDS].sort());
  });

  it('holds the 44 techniques and their variants, in catalogue order', () => {
    // Spelled out so that dropping, renaming or reordering an attack is a visible change (docs/catalogue.md
    // follows the same order).
    expect(ATTACKS.map((a) => a.id)).toEqual([
      'SC1', 'SC2', 'SC2-priv', 'SC3', 'SC3-noinject', 'SC4', 'SC5', 'SC6', 'SC7', 'SC8', 'SC9', 'SC10', 'SC11', 'SC12', 'SC13', 'SC14', 'SC15',
      'AM1', 'AM2', 'AM3', 'AM3-mesh', 'AM4', 'AM4-priv', 'AM4-mark', 'AM4-mark-mesh', 'AM5', 'AM5-priv', 'AM6', 'AM7',
      'EG1', 'EG2', 'EG3', 'EG4', 'EG5', 'EG6', 'EG7', 'EG8',
      'HN1', 'HN2', 'HN2-priv', 'HN3', 'HN3-nodeport', 'HN4', 'HN4-priv', 'HN5', 'HN5-priv', 'HN6', 'HN7',
      'LM1', 'LM2', 'LM3', 'LM4', 'LM5',
      'EV1', 'EV2',
    ]);
    const techniques = new Set(ATTACKS.map((a) => /^[A-Z]+\d+/.exec(a.id)?.[0]));
    expect(techniques.size).toBe(44);
  });

  it('has unique ids, and a -priv variant only next to its baseline twin', () => {
    const ids = ATTACKS.map((a) => a.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids.filter((candidate) => candidate.endsWith('-priv'))) {
      expect(ids).toContain(id.slice(0, -'-priv'.length));
    }
    expect(ids.filter((id) => id.endsWith('-priv')).sort()).toEqual(['AM4-priv', 'AM5-priv', 'HN2-priv', 'HN4-priv', 'HN5-priv', 'SC2-priv']);
  });

  it('maps families as documented', () => {
    const family = (id: string): string => attack(id).family;
    expect([family('SC8'), family('SC9'), family('LM2')]).toEqual(['mtls-identity', 'mtls-identity', 'mtls-identity']);
    expect(family('SC10')).toBe('sidecar-bypass');
    expect(family('HN1')).toBe('admission');
    expect(family('LM4')).toBe('lateral-movement');
  });

  it.each(ATTACKS.map((a) => [a.id, a] as const))('%s has a title, technique and real references', (_id, definition) => {
    expect(definition.title.length).toBeGreaterThan(0);
    expect(definition.technique.length).toBeGreaterThan(0);
    expect(definition.references.length).toBeGreaterThan(0);
    for (const reference of definition.references) {
      expect(reference.url).toMatch(/^https:\/\/(istio\.io|kubernetes\.io|docs\.cilium\.io|docs\.tigera\.io|github\.com)\//);
      expect(reference.title.length).toBeGreaterThan(0);
    }
  });
});

describe('expectations for every stack', () => {
  it.each(ATTACKS.map((a) => [a.id, a] as const))('%s: sourced, consistent, attributable', (_id, definition) => {
    for (const { stack: traits, where } of stackAttackCases(stacks, { attacks: [definition] })) {
      const expectation = definition.expect(traits);
      expect(expectation.source.trim(), where).not.toBe('');
      expect(['documented', 'inferred', 'version-dependent'], where).toContain(expectation.certainty);
      if (expectation.outcome === 'blocked') {
        expect(expectation.blockedBy, where).toBeDefined();
        // A block must be creditable to a layer this stack has.
        expect(stackLayers(traits).has(expectation.blockedBy ?? 'api'), where).toBe(true);
      } else {
        expect(expectation.blockedBy, where).toBeUndefined();
      }
      if (expectation.signal !== undefined) expect(isClientSignal(expectation.signal), where).toBe(true);
      const reason = definition.notApplicable(traits);
      if (expectation.outcome === 'not-applicable') {
        expect(reason, where).toBeDefined();
        expect(expectation.note, where).toBe(reason);
      } else {
        expect(reason, where).toBeUndefined();
      }
    }
  });

  it.each(ATTACKS.map((a) => [a.id, a] as const))('%s: every expectation cites upstream documents the attack lists as references', (_id, definition) => {
    const referenced = new Set(definition.references.map((reference) => reference.url));
    for (const { stack: traits, where: pair } of stackAttackCases(stacks, { attacks: [definition] })) {
      const { source } = definition.expect(traits);
      const where = `${pair}: ${source}`;
      const cited = [...source.matchAll(/<(https:\/\/[^>\s]+)>/g)].map((match) => match[1]);
      expect(cited.length, where).toBeGreaterThan(0);
      for (const url of cited) expect(referenced.has(url ?? ''), `${where} cites ${url}, not among its references`).toBe(true);
      expect(source, where).not.toMatch(/ATTACKS\.md|\[[DIV]\b/);
    }
  });

  it('references serialise as plain title and url (the citation helper is not data)', () => {
    const reference = attack('SC1').references[0];
    expect(JSON.parse(JSON.stringify(reference))).toEqual({ title: reference?.title, url: reference?.url });
  });

  it('SC1: allowed on sidecar-only stacks, dropped by the CNI when the CNI is layered under the sidecar', () => {
    for (const id of ['istio-sidecar', 'lab:sidecar']) expect(attack('SC1').expect(stack(id)).outcome, id).toBe('allowed');
    for (const id of ['calico+istio-sidecar', 'cilium+istio-sidecar', 'lab:netpol+sidecar']) {
      const expectation = attack('SC1').expect(stack(id));
      expect([expectation.outcome, expectation.blockedBy, expectation.signal], id).toEqual(['blocked', 'cni', 'timeout']);
    }
  });

  it('EG8: Calico and Cilium drop the forged source; without a source check it leaves; no cni layer, no cell', () => {
    for (const id of ['calico', 'cilium', 'calico+istio-ambient', 'cilium+istio-sidecar']) {
      const expectation = attack('EG8').expect(stack(id));
      expect([expectation.outcome, expectation.blockedBy, expectation.certainty], id).toEqual(['blocked', 'cni', 'documented']);
      const unlayered = { ...stack(id), policy: 'none' as const, enforcesNetworkPolicy: false, meshPolicies: false };
      expect(attack('EG8').expect(unlayered).outcome, `${id} without policies`).toBe('not-applicable');
    }
    for (const id of ['kindnet', 'istio-sidecar', 'istio-ambient']) {
      expect([attack('EG8').expect(stack(id)).outcome, attack('EG8').expect(stack(id)).certainty], id).toEqual(['allowed', 'version-dependent']);
    }
    for (const id of ['lab:none', 'lab:sidecar', 'lab:ambient']) expect(attack('EG8').expect(stack(id)).outcome, id).toBe('allowed');
    for (const id of ['lab:netpol', 'lab:netpol+sidecar']) expect(attack('EG8').expect(stack(id)).blockedBy, id).toBe('cni');
  });

  it('LM5: a dry-run create of a Service whose externalIPs name the sink, selecting the attempt pod; RBAC or the CNI answers', () => {
    const attempt = attack('LM5').attempt({ stack: stack('kindnet'), canary: CANARY, addresses: CONTEXT_ADDRESSES });
    expect(attempt.env.API_PATH).toBe('/api/v1/namespaces/bm-app/services?dryRun=All');
    expect(attempt.env.API_METHOD).toBe('POST');
    const service = JSON.parse(attempt.env.API_BODY ?? '{}') as { spec: { externalIPs: string[]; selector: Record<string, string> } };
    expect(service.spec.externalIPs).toEqual([CONTEXT_ADDRESSES.sink.ip]);
    expect(service.spec.selector).toEqual({ [SCENE.appLabel]: attempt.pod.metadata?.name });
    for (const id of ['kindnet', 'istio-sidecar', 'istio-ambient']) expect(attack('LM5').expect(stack(id)).blockedBy, id).toBe('api');
    for (const id of ['calico', 'cilium+istio-ambient']) expect(attack('LM5').expect(stack(id)).blockedBy, id).toBe('cni');
    for (const id of LAB_PROFILE_IDS) expect(attack('LM5').expect(stack(id)).outcome, id).toBe('not-applicable');
  });

  it('HN6: n/a on the lab (IPv4-only) and on kindnet without a policy layer; the CNI is expected to refuse the RA elsewhere', () => {
    for (const id of [...LAB_PROFILE_IDS, 'kindnet', 'istio-sidecar', 'istio-ambient']) {
      const expectation = attack('HN6').expect(stack(id));
      expect(expectation.outcome, id).toBe('not-applicable');
      expect(expectation.note, id).toMatch(id.startsWith('lab:') ? /IPv4-only/ : /ptp plugin/);
    }
    for (const id of ['calico', 'cilium', 'calico+istio-sidecar', 'cilium+istio-ambient', 'cilium-wireguard']) {
      expect([attack('HN6').expect(stack(id)).outcome, attack('HN6').expect(stack(id)).blockedBy], id).toEqual(['blocked', 'cni']);
    }
    const context = { stack: stack('calico'), canary: CANARY, addresses: CONTEXT_ADDRESSES };
    expect(attack('HN6').attempt(context).script).toBe('ipv6-rogue-ra.sh');
    expect(attack('HN6').control(context).script).toBe('ipv6-link-peer.sh');
  });

  it('HN7: n/a on the lab and without a NetworkPolicy layer (the node rule is no layer); the CNI drops it where layered', () => {
    for (const id of [...LAB_PROFILE_IDS, 'kindnet', 'istio-sidecar', 'istio-ambient']) {
      expect(attack('HN7').expect(stack(id)).outcome, id).toBe('not-applicable');
    }
    for (const id of ['calico', 'cilium', 'calico+istio-ambient', 'cilium+istio-sidecar']) {
      expect([attack('HN7').expect(stack(id)).outcome, attack('HN7').expect(stack(id)).blockedBy], id).toEqual(['blocked', 'cni']);
    }
    const attempt = attack('HN7').attempt({ stack: stack('calico'), canary: CANARY, addresses: CONTEXT_ADDRESSES });
    expect([attempt.script, attempt.flow.destinationIp, attempt.flow.destinationPort]).toEqual(['localnet-probe.sh', '127.0.0.1', 10248]);
  });

  it('EG2: allowed on every stack', () => {
    for (const traits of stacks) expect(attack('EG2').expect(traits).outcome, traits.profileId).toBe('allowed');
  });

  it('SC8: blocked by the sidecar under STRICT, by ztunnel in ambient, by the CNI when layered, allowed without policy', () => {
    for (const id of ['istio-sidecar', 'lab:sidecar']) {
      const expectation = attack('SC8').expect(stack(id));
      expect([expectation.outcome, expectation.blockedBy, expectation.signal], id).toEqual(['blocked', 'mesh-sidecar', 'reset']);
    }
    expect(attack('SC8').expect(stack('istio-ambient')).blockedBy).toBe('mesh-ztunnel');
    expect(attack('SC8').expect(stack('calico+istio-sidecar')).blockedBy).toBe('cni');
    expect(attack('SC8').expect(stack('kindnet')).outcome).toBe('allowed');
    expect(attack('SC8').expect(stack('lab:none')).outcome).toBe('allowed');
  });

  it('privileged twins: admission on the baseline run everywhere it applies; HN4-priv allowed', () => {
    for (const { stack: traits, attack: twin, where } of stackAttackCases(stacks, { attacks: ['SC2', 'AM4', 'AM5', 'HN2', 'HN4', 'HN5'].map(attack) })) {
      const expectation = twin.expect(traits);
      if (expectation.outcome === 'not-applicable') continue;
      expect([expectation.blockedBy, expectation.signal], where).toEqual(['admission', 'admission-denied']);
    }
    expect(attack('HN1').expect(stack('kindnet')).blockedBy).toBe('admission');
    expect(attack('HN4-priv').expect(stack('cilium+istio-ambient')).outcome).toBe('allowed');
    expect(attack('SC2-priv').expect(stack('istio-sidecar')).outcome).toBe('allowed');
    expect(attack('SC2-priv').expect(stack('calico+istio-sidecar')).blockedBy).toBe('cni');
  });

  it('the lab never pretends: no kubelet, API server or HostEndpoint; a waypoint only in ambient', () => {
    for (const id of ['HN3', 'LM3', 'LM4', 'HN5-priv']) {
      for (const lab of ['lab:none', 'lab:netpol', 'lab:sidecar', 'lab:netpol+sidecar', 'lab:ambient']) {
        expect(attack(id).expect(stack(lab)).outcome, `${id} on ${lab}`).toBe('not-applicable');
      }
    }
    for (const lab of ['lab:none', 'lab:netpol', 'lab:sidecar', 'lab:netpol+sidecar']) {
      expect(attack('AM1').expect(stack(lab)).outcome, `AM1 on ${lab}`).toBe('not-applicable');
    }
    // lab:ambient runs a waypoint (clusters/lab/ambient/lab-waypoint.ts): AM1 skips it by calling the pod IP, which a
    // `service` waypoint never sees (https://istio.io/latest/docs/ambient/usage/waypoint/: "by default only services use
    // the namespace waypoint"); SC10 meets its L7 rule under Istio's default BASE.
    expect(attack('AM1').expect(stack('lab:ambient'))).toMatchObject({ outcome: 'allowed', certainty: 'documented' });
    expect(attack('SC10').notApplicable(stack('lab:ambient'))).toBeUndefined();
    expect(attack('SC10').expect(stack('lab:ambient'))).toMatchObject({ outcome: 'allowed' });
    expect(attack('SC10').expect(stack('lab:ambient')).source).toContain('through the waypoint');
    expect(attack('SC10').expect(stack('lab:ambient')).note).toContain('meshConfig.pathNormalization: BASE');
    // SC10 is measured under Istio's default BASE (lab:sidecar) and the hardened DECODE_AND_MERGE_SLASHES (lab:netpol+sidecar).
    expect(attack('SC10').expect(stack('lab:sidecar'))).toMatchObject({ outcome: 'allowed' });
    expect(attack('SC10').expect(stack('lab:sidecar')).note).toContain('meshConfig.pathNormalization: BASE');
    expect(attack('SC10').expect(stack('lab:netpol+sidecar'))).toMatchObject({ outcome: 'blocked', blockedBy: 'mesh-sidecar' });
    expect(attack('SC10').expect(stack('lab:netpol+sidecar')).note).toContain('meshConfig.pathNormalization: DECODE_AND_MERGE_SLASHES');
  });

  it("HN4 runs on every lab stack: a hostPID pod joins its lab node's PID namespace (clusters/lab/pod-sandbox.ts)", () => {
    for (const lab of ['lab:none', 'lab:netpol', 'lab:sidecar', 'lab:netpol+sidecar', 'lab:ambient']) {
      expect(attack('HN4').notApplicable(stack(lab)), `HN4 on ${lab}`).toBeUndefined();
      expect(attack('HN4').expect(stack(lab)), `HN4 on ${lab}`).toMatchObject({ outcome: 'blocked', blockedBy: 'admission', signal: 'admission-denied' });
      expect(attack('HN4-priv').notApplicable(stack(lab)), `HN4-priv on ${lab}`).toBeUndefined();
      // The node's own output is outside the lab's NetworkPolicy rules (forward and input hooks) and every proxy's capture.
      const privileged = attack('HN4-priv').expect(stack(lab));
      expect(privileged, `HN4-priv on ${lab}`).toMatchObject({ outcome: 'allowed', certainty: 'documented' });
      expect(privileged.note).toContain("hook only the node's forward and input paths");
    }
    expect(attack('HN4-priv').expect(stack('kindnet')).note).not.toContain('forward and input');
  });

  it('mesh L7 attacks (SC11-SC15): the lab waypoint measures the policy ones on lab:ambient; the header ones need its header model', () => {
    for (const id of ['SC11', 'SC12', 'SC14']) expect(attack(id).notApplicable(stack('lab:ambient')), id).toBeUndefined();
    for (const id of ['SC13', 'SC15']) expect(attack(id).notApplicable(stack('lab:ambient')), id).toContain("does not model Envoy's header handling at the waypoint");
    for (const id of ['SC11', 'SC12', 'SC13', 'SC14', 'SC15']) {
      for (const other of ['lab:none', 'lab:netpol', 'lab:sidecar', 'lab:netpol+sidecar', 'istio-ambient', 'calico']) {
        expect(attack(id).notApplicable(stack(other)), `${id} on ${other}`).toBeUndefined();
      }
    }
  });

  it('SC11: %5C passes under BASE (kind default, lab:sidecar), is denied under DECODE_AND_MERGE_SLASHES; SC12: the fixed host match denies everywhere a mesh holds the rule', () => {
    expect(attack('SC11').expect(stack('istio-sidecar'))).toMatchObject({ outcome: 'allowed', certainty: 'documented' });
    expect(attack('SC11').expect(stack('lab:sidecar')).outcome).toBe('allowed');
    expect(attack('SC11').expect(stack('lab:netpol+sidecar'))).toMatchObject({ outcome: 'blocked', blockedBy: 'mesh-sidecar', signal: 'http-403' });
    expect(attack('SC12').expect(stack('calico+istio-sidecar'))).toMatchObject({ outcome: 'blocked', blockedBy: 'mesh-sidecar', signal: 'http-403', certainty: 'documented' });
    expect(attack('SC12').expect(stack('cilium+istio-ambient'))).toMatchObject({ outcome: 'blocked', blockedBy: 'mesh-waypoint' });
    expect(attack('SC12').expect(stack('lab:netpol')).outcome).toBe('allowed');
    const sc12 = attack('SC12').attempt({ stack: stack('lab:sidecar'), canary: CANARY, addresses: CONTEXT_ADDRESSES });
    expect(sc12.env.HOST_HEADER).toBe('API.BM-APP:8080');
    expect(sc12.env.TARGET_URL).toBe(`http://api.bm-app.svc.cluster.local:8080/api/ping?bm=${CANARY}`);
  });

  it('SC13-SC15: forged headers, stripped by the sidecar (XFCC, x-envoy-*) or not (XFF), checked in the workload echo', () => {
    for (const id of ['SC13', 'SC15']) {
      expect(attack(id).expect(stack('istio-sidecar')), id).toMatchObject({ outcome: 'blocked', blockedBy: 'mesh-sidecar', signal: 'header-stripped' });
      expect(attack(id).expect(stack('istio-ambient')), id).toMatchObject({ outcome: 'blocked', blockedBy: 'mesh-waypoint', signal: 'header-stripped' });
      expect(attack(id).expect(stack('cilium')).outcome, id).toBe('allowed');
    }
    for (const traits of stacks.filter((candidate) => attack('SC14').notApplicable(candidate) === undefined)) {
      expect(attack('SC14').expect(traits).outcome, traits.profileId).toBe('allowed');
    }
    const context = { stack: stack('lab:sidecar'), canary: CANARY, addresses: CONTEXT_ADDRESSES };
    const xfcc = attack('SC13').attempt(context);
    expect(xfcc.script).toBe('forged-header.sh');
    expect(xfcc.env.WATCH_HEADER).toBe('x-forwarded-client-cert');
    expect(xfcc.env.FORGED_HEADERS).toContain(`URI=spiffe://cluster.local/ns/bm-app/sa/admin-${CANARY}`);
    expect(xfcc.env.WATCH_VALUE).toBe(`spiffe://cluster.local/ns/bm-app/sa/admin-${CANARY}`);
    expect(attack('SC15').attempt(context).env.FORGED_HEADERS).toBe(`X-Forwarded-For: 10.0.0.1\nX-Envoy-Ip-Tags: ${CANARY}`);
    for (const id of ['SC13', 'SC14', 'SC15']) {
      const control = attack(id).control(context);
      expect(control.script, id).toBe('forged-header.sh');
      expect(control.env.WATCH_HEADER, id).toBe('x-breachmatrix-probe');
      expect(control.env.FORGED_HEADERS, id).toBe(`X-Breachmatrix-Probe: ${CANARY}`);
    }
  });

  it('ambient-only and sidecar-only attacks are not applicable elsewhere, with a reason', () => {
    expect(attack('AM1').notApplicable(stack('istio-sidecar'))).toBeDefined();
    expect(attack('SC6').notApplicable(stack('istio-ambient'))).toBeDefined();
    expect(attack('SC6').expect(stack('calico+istio-sidecar')).outcome).toBe('allowed');
    expect(attack('SC3').notApplicable(stack('cilium+istio-ambient'))).toBeDefined();
    expect(attack('AM6').expect(stack('calico+istio-ambient')).outcome).toBe('allowed');
    expect(attack('AM6').expect(stack('calico')).blockedBy).toBe('cni');
    // AM7: the same hole through the waypoint — allowed in ambient even with NetworkPolicy, the CNI's drop elsewhere.
    expect(attack('AM7').expect(stack('calico+istio-ambient')).outcome).toBe('allowed');
    expect(attack('AM7').expect(stack('cilium+istio-sidecar'))).toMatchObject({ outcome: 'blocked', blockedBy: 'cni' });
    expect(attack('AM7').expect(stack('lab:netpol'))).toMatchObject({ outcome: 'blocked', blockedBy: 'cni' });
    expect(attack('AM7').expect(stack('lab:sidecar')).outcome).toBe('allowed');
    expect(attack('AM7').notApplicable(stack('lab:ambient'))).toBeUndefined();
    expect(attack('AM7').expect(stack('lab:ambient')).outcome).toBe('allowed');
    expect(attack('LM4').expect(stack('istio-sidecar')).blockedBy).toBe('api');
  });
});

describe('plans', () => {
  const context = (traits: StackTraits): AttemptContext => planContext(traits, CANARY, CONTEXT_ADDRESSES);

  it.each(ATTACKS.map((a) => [a.id, a] as const))('%s builds an attempt and a control with distinct, attributable pods', (_id, definition) => {
    const traits = stack('calico+istio-ambient');
    const attempt = definition.attempt(context(traits));
    const control = definition.control(context(traits));
    for (const [role, planned] of [['attempt', attempt], ['control', control]] as const) {
      const name = planned.pod.metadata?.name ?? '';
      expect(name, role).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      expect(name.length, role).toBeLessThanOrEqual(63);
      expect(name.endsWith(CANARY.slice(-8)), role).toBe(true);
      expect(planned.flow.canary, role).toBe(CANARY);
      expect(planned.flow.sourcePod, role).toBe(name);
      expect(planned.flow.sourceNamespace, role).toBe(planned.pod.metadata?.namespace);
      expect(planned.env.CANARY, role).toBe(CANARY);
      expect(planned.env.CONNECT_TIMEOUT, role).toBe(String(TIMEOUTS.connectSeconds));
      expect(planned.env.REQUEST_TIMEOUT, role).toBe(String(TIMEOUTS.requestSeconds));
      expect(() => composeScript(planned.script), role).not.toThrow();
    }
    expect(attempt.pod.metadata?.name).not.toBe(control.pod.metadata?.name);
  });

  it('privileged variants run in bm-privileged, their twins in a baseline namespace with the same forbidden spec', () => {
    const traits = stack('cilium+istio-sidecar');
    for (const id of ['SC2', 'AM4', 'AM5', 'HN2', 'HN4', 'HN5']) {
      const baseline = attack(id).attempt(context(traits)).pod;
      const privileged = attack(`${id}-priv`).attempt(context(traits)).pod;
      expect(privileged.metadata?.namespace, id).toBe(SCENE.namespaces.privileged);
      expect([SCENE.namespaces.app, SCENE.namespaces.rogue], id).toContain(baseline.metadata?.namespace);
      expect(privileged.spec?.hostNetwork, id).toBe(baseline.spec?.hostNetwork);
      expect(privileged.spec?.containers[0]?.securityContext, id).toEqual(baseline.spec?.containers[0]?.securityContext);
      const forbidden =
        baseline.spec?.hostNetwork === true ||
        baseline.spec?.hostPID === true ||
        baseline.spec?.containers[0]?.securityContext?.privileged === true ||
        (baseline.spec?.containers[0]?.securityContext?.capabilities?.add ?? []).includes('NET_ADMIN');
      expect(forbidden, id).toBe(true);
    }
  });

  it('SC4 runs its script in an init container holding lib.sh + the script and the plan env', () => {
    const planned = attack('SC4').attempt(context(stack('istio-sidecar')));
    expect(planned.placement).toBe('init-container');
    const init = planned.pod.spec?.initContainers?.[0];
    expect(init?.command).toEqual(['sh', '-c', composeScript(planned.script)]);
    expect(init?.env).toContainEqual({ name: 'TARGET_URL', value: `http://198.51.100.10:8080/${CANARY}` });
    expect(init?.env).toContainEqual({ name: 'CANARY', value: CANARY });
  });

  it('cross-node attacks pick a node other than the target’s; AM5 sits on the target’s node', () => {
    const traits = stack('kindnet');
    expect(attack('HN2-priv').attempt(context(traits)).pod.spec?.nodeName).toBe('bm-worker2');
    expect(attack('AM5-priv').attempt(context(traits)).pod.spec?.nodeName).toBe('bm-worker');
    expect(attack('AM5-priv').attempt(context(traits)).pod.spec?.dnsPolicy).toBe('ClusterFirstWithHostNet');
  });

  it('eavesdropping attacks count on a capture, and exactly they name the victim client they listen to', () => {
    expect(ATTACKS.filter((a) => a.success === 'packet-capture').map((a) => a.id)).toEqual(['EV1', 'EV2']);
    expect(ATTACKS.filter((a) => (a.victim !== undefined) !== (a.success === 'packet-capture')).map((a) => a.id)).toEqual([]);
  });

  it("EV1: a hostNetwork sniffer on api's node; frontend's identity sends the attempt's canary to api; the control captures its own", () => {
    const traits = stack('lab:sidecar');
    const ctx = planContext(traits, CANARY, CONTEXT_ADDRESSES);
    const ev1 = attack('EV1');
    const attempt = ev1.attempt(ctx);
    const control = ev1.control({ ...ctx, canary: 'bm00000000000000cc' });
    const victim = ev1.victim?.(ctx);
    const api = CONTEXT_ADDRESSES.workloads['bm-app/api'];
    expect(attempt.pod.spec?.hostNetwork).toBe(true);
    expect(attempt.pod.spec?.nodeName).toBe(api?.node);
    expect(attempt.env.CAPTURE_HOST).toBe(api?.podIp);
    expect(attempt.env.SELF_SEND).toBeUndefined();
    expect(attempt.env).toMatchObject({ CAPTURE_MAX_SECONDS: String(TIMEOUTS.captureMaxSeconds), CAPTURE_DRAIN_SECONDS: String(Math.ceil(TIMEOUTS.captureDrainMs / 1000)) });
    // The bound covers the wait for the open and the drain, and ends the script with room for its result line.
    expect(TIMEOUTS.captureOpenMs + TIMEOUTS.captureDrainMs).toBeLessThan(TIMEOUTS.captureMaxSeconds * 1000);
    expect(TIMEOUTS.captureMaxSeconds * 1000 + 2_000).toBeLessThanOrEqual(TIMEOUTS.scriptExecMs);
    expect(control.env).toMatchObject({ SELF_SEND: '1', SELF_PORT: String(SCENE.workloads.api.port), CAPTURE_HOST: api?.podIp, CANARY: 'bm00000000000000cc' });
    expect(victim?.pod.spec?.serviceAccountName).toBe(SCENE.workloads.frontend.serviceAccount);
    expect(victim?.env.CANARY).toBe(ctx.canary);
    expect(victim?.env.TARGET_URL).toBe(`http://${api?.podIp}:${SCENE.workloads.api.port}/api/ping`);
    expect(ev1.expect(stack('lab:netpol'))).toMatchObject({ outcome: 'allowed' });
    expect(ev1.expect(stack('lab:sidecar'))).toMatchObject({ outcome: 'blocked', blockedBy: 'mesh-sidecar' });
    expect(ev1.expect(stack('lab:ambient'))).toMatchObject({ outcome: 'blocked', blockedBy: 'mesh-ztunnel' });
  });

  it('EV1/EV2 on the WireGuard profiles: each CNI cites its own WireGuard documentation; under a mesh the mesh is credited on the node', () => {
    const ev1 = attack('EV1');
    const ev2 = attack('EV2');
    for (const [id, cites] of [['calico-wireguard', 'docs.tigera.io'], ['cilium-wireguard', 'cilium/cilium']] as const) {
      // Same node: WireGuard has already decrypted, the sniffer reads plaintext on api's veth.
      expect(ev1.expect(stack(id))).toMatchObject({ outcome: 'allowed' });
      expect(ev1.expect(stack(id)).source).toContain(cites);
      // Between the nodes: the CNI's tunnel (EV2's own expectation on kind is n/a until its capture point exists).
      expect(encryptionExpectation(stack(id), 'captured between the nodes', false)).toMatchObject({ outcome: 'blocked', blockedBy: 'cni' });
      expect(encryptionExpectation(stack(id), 'captured between the nodes', false).source).toContain(cites);
      expect(ev2.references.map((reference) => reference.url).some((url) => url.includes(cites))).toBe(true);
    }
    // WireGuard under a mesh: on the node the mesh's own encryption is what a sniffer meets.
    expect(ev1.expect(stack('calico-wireguard+istio-sidecar'))).toMatchObject({ outcome: 'blocked', blockedBy: 'mesh-sidecar' });
    expect(ev1.expect(stack('cilium-wireguard+istio-ambient'))).toMatchObject({ outcome: 'blocked', blockedBy: 'mesh-ztunnel' });
  });

  it('EV2: the sniffer asks for the node network, the victim runs on a node other than api’s; n/a on kind with its reason', () => {
    const traits = stack('lab:netpol+sidecar');
    const ctx = planContext(traits, CANARY, CONTEXT_ADDRESSES);
    const ev2 = attack('EV2');
    const attempt = ev2.attempt(ctx);
    expect(attempt.pod.metadata?.annotations?.['breachmatrix.io/placement']).toBe('node-network');
    expect(attempt.pod.spec?.hostNetwork).toBe(true);
    expect(ev2.victim?.(ctx).pod.spec?.nodeName).not.toBe(CONTEXT_ADDRESSES.workloads['bm-app/api']?.node);
    expect(ev2.control(ctx).env).toMatchObject({ SELF_SEND: '1', CAPTURE_HOST: CONTEXT_ADDRESSES.sink.ip, SELF_PORT: String(CONTEXT_ADDRESSES.sink.tcpPort) });
    expect(ev2.expect(traits)).toMatchObject({ outcome: 'blocked', blockedBy: 'mesh-sidecar' });
    const kind = stacks.find((candidate) => !candidate.isLab);
    expect(kind === undefined ? undefined : ev2.notApplicable(kind)).toMatch(/kind docker network/);
  });

  it('exfiltration attacks count on the sink; the rest on the client', () => {
    const sinkAttacks = ATTACKS.filter((a) => a.success === 'sink-canary').map((a) => a.id);
    expect(sinkAttacks).toEqual([
      'SC1', 'SC2', 'SC2-priv', 'SC3', 'SC3-noinject', 'SC4', 'SC5', 'AM3', 'AM4', 'AM4-priv', 'AM4-mark',
      'EG1', 'EG2', 'EG3', 'EG4', 'EG5', 'EG6', 'EG7', 'EG8', 'HN4', 'HN4-priv',
    ]);
  });
});

describe('findAttacks', () => {
  it('selects by id (any case) and family, in catalogue order, without duplicates', () => {
    expect(findAttacks(['sc3', 'SC1']).map((a) => a.id)).toEqual(['SC1', 'SC3']);
    expect(findAttacks(['mtls-identity', 'SC8']).map((a) => a.id)).toEqual(['SC8', 'SC9', 'SC13', 'SC14', 'LM2']);
    expect(findAttacks([])).toHaveLength(ATTACKS.length);
  });

  it('refuses an unknown selector, listing ids and families', () => {
    expect(() => findAttacks(['SC99'])).toThrow(BadInputError);
    try {
      findAttacks(['SC99']);
    } catch (error) {
      const message = (error as BadInputError).message;
      expect(message).toContain('unknown attack or family "SC99"');
      expect(message).toContain('SC1, SC2');
      expect(message).toContain('egress-exfiltration');
    }
  });
});

describe('loose ends: AM4-mark, SC3-noinject, SC7 ports, HN3 ports and NodePort, SC10 attributable', () => {
  const context = (traits: StackTraits, addresses: AttemptContext['addresses'] = CONTEXT_ADDRESSES): AttemptContext => planContext(traits, CANARY, addresses);
  const outcome = (id: string, profile: string): [string, string | undefined, string | undefined] => {
    const expectation = attack(id).expect(stack(profile));
    return [expectation.outcome, expectation.blockedBy, expectation.certainty];
  };

  it('AM4-mark: an intruder with no added capability, PSA baseline admits it; the mark is set by marked-tcp.sh', () => {
    for (const id of ['AM4-mark', 'AM4-mark-mesh']) {
      const planned = attack(id).attempt(context(stack('istio-ambient')));
      expect(planned.pod.metadata?.namespace, id).toBe(SCENE.namespaces.app);
      expect(planned.pod.spec?.containers[0]?.securityContext, id).toBeUndefined();
      expect(podSecurityViolations(planned.pod, 'baseline'), id).toEqual([]);
      expect(planned.script, id).toBe('marked-tcp.sh');
      expect(planned.env.SOCKET_MARK, id).toBe('3');
    }
    // Its NET_ADMIN twin is what baseline refuses.
    expect(podSecurityViolations(attack('AM4').attempt(context(stack('istio-ambient'))).pod, 'baseline')).not.toEqual([]);
    const world = attack('AM4-mark').attempt(context(stack('istio-ambient')));
    expect([world.env.TARGET_HOST, world.env.TARGET_PORT, world.env.HTTP_PATH]).toEqual(['198.51.100.10', '9000', undefined]);
    const mesh = attack('AM4-mark-mesh').attempt(context(stack('istio-ambient')));
    expect([mesh.env.TARGET_HOST, mesh.env.TARGET_PORT, mesh.env.HTTP_PATH]).toEqual(['10.244.1.6', '8080', `/api/ping?bm=${CANARY}`]);
    expect(mesh.flow).toMatchObject({ protocol: 'http', destinationIp: '10.244.1.6', destinationPort: 8080 });
  });

  it('AM4-mark expectations: ambient world A (kernel-dependent), sidecar captures it, the CNI drops it', () => {
    for (const id of ['istio-ambient', 'lab:ambient']) expect(outcome('AM4-mark', id), id).toEqual(['allowed', undefined, 'version-dependent']);
    for (const id of ['istio-sidecar', 'lab:sidecar', 'calico+istio-sidecar', 'lab:netpol+sidecar']) {
      expect(outcome('AM4-mark', id), id).toEqual(['blocked', 'mesh-sidecar', 'inferred']);
    }
    for (const id of ['calico', 'cilium', 'calico+istio-ambient', 'cilium+istio-ambient', 'lab:netpol']) {
      expect(outcome('AM4-mark', id).slice(0, 2), id).toEqual(['blocked', 'cni']);
    }
    for (const id of ['kindnet', 'lab:none']) expect(outcome('AM4-mark', id)[0], id).toBe('allowed');
    expect(attack('AM4-mark').expect(stack('lab:ambient')).note).toContain('5.17');
  });

  it('AM4-mark-mesh expectations: ztunnel refuses the plaintext under STRICT; the sidecar captures and denies', () => {
    for (const id of ['istio-ambient', 'lab:ambient']) {
      const expectation = attack('AM4-mark-mesh').expect(stack(id));
      expect([expectation.outcome, expectation.blockedBy, expectation.signal], id).toEqual(['blocked', 'mesh-ztunnel', 'reset']);
    }
    for (const id of ['istio-sidecar', 'lab:sidecar']) expect(outcome('AM4-mark-mesh', id).slice(0, 2), id).toEqual(['blocked', 'mesh-sidecar']);
    for (const id of ['calico+istio-ambient', 'cilium+istio-sidecar', 'lab:netpol+sidecar']) {
      expect(outcome('AM4-mark-mesh', id).slice(0, 2), id).toEqual(['blocked', 'cni']);
    }
    expect(outcome('AM4-mark-mesh', 'kindnet')[0]).toBe('allowed');
  });

  it('SC3-noinject: the pod opts out of injection by annotation; allowed under sidecar-only, n/a in ambient', () => {
    const planned = attack('SC3-noinject').attempt(context(stack('istio-sidecar')));
    expect(planned.pod.metadata?.annotations).toEqual({ 'sidecar.istio.io/inject': 'false' });
    expect(podSecurityViolations(planned.pod, 'baseline')).toEqual([]);
    for (const id of ['istio-sidecar', 'lab:sidecar', 'kindnet', 'lab:none']) expect(outcome('SC3-noinject', id)[0], id).toBe('allowed');
    for (const id of ['calico+istio-sidecar', 'lab:netpol+sidecar', 'calico']) expect(outcome('SC3-noinject', id).slice(0, 2), id).toEqual(['blocked', 'cni']);
    for (const id of ['istio-ambient', 'lab:ambient']) expect(attack('SC3-noinject').notApplicable(stack(id)), id).toContain('ambient');
  });

  it("SC7 probes 15090, 15021 and 15020 on api's pod IP in one script run", () => {
    const planned = attack('SC7').attempt(context(stack('istio-sidecar')));
    expect(planned.script).toBe('http-ports.sh');
    expect(planned.env.TARGET_URLS).toBe(
      'http://10.244.1.6:15090/stats/prometheus http://10.244.1.6:15021/healthz/ready http://10.244.1.6:15020/stats/prometheus',
    );
    expect(planned.flow.destinationPort).toBeUndefined();
    expect(planned.flow.destinationIp).toBe('10.244.1.6');
  });

  it('HN3 probes the kubelet and the API server; HN3-nodeport the NodePort, n/a where the scene has none', () => {
    const hn3 = attack('HN3').attempt(context(stack('calico')));
    expect(hn3.env.TARGET_URLS).toBe('https://172.18.0.2:10250/healthz https://10.96.0.1:443/version');
    expect(hn3.env.INSECURE).toBe('1');
    const nodePort = attack('HN3-nodeport').attempt(context(stack('calico')));
    expect(nodePort.env.TARGET_URLS).toBe(`http://172.18.0.2:30080/api/ping?bm=${CANARY}`);
    const withoutNodePort: AttemptContext['addresses'] = { ...CONTEXT_ADDRESSES };
    delete (withoutNodePort as { apiNodePort?: number }).apiNodePort;
    expect(() => attack('HN3-nodeport').attempt(context(stack('calico'), withoutNodePort))).toThrow(InfrastructureError);
    for (const lab of ['lab:none', 'lab:sidecar', 'lab:ambient']) expect(attack('HN3-nodeport').notApplicable(stack(lab)), lab).toContain('NodePort');
    expect(outcome('HN3-nodeport', 'istio-sidecar').slice(0, 2)).toEqual(['blocked', 'mesh-sidecar']);
    expect(outcome('HN3-nodeport', 'calico').slice(0, 2)).toEqual(['blocked', 'cni']);
    expect(outcome('HN3', 'istio-sidecar')[0]).toBe('allowed');
  });
});
