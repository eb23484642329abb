import { describe, expect, it } from 'vitest';
import type { SuccessCriterion } from './attack.ts';
import { attribute, candidateLayers, type AttributionInput } from './attribution.ts';
import type { EvidenceItem } from './evidence.ts';
import type { BlockingLayer } from './layer.ts';
import { CLIENT_SIGNALS, PASS_SIGNALS, type ClientSignal } from './signal.ts';

/** The stack most cases run on: calico + istio-sidecar, layered policy. */
const SIDECAR_STACK: ReadonlySet<BlockingLayer> = new Set(['admission', 'api', 'cni', 'mesh-sidecar']);

function denial(layer: BlockingLayer, rule?: string): EvidenceItem {
  return { layer, source: 'hubble', verdict: 'denied', raw: `${layer} denied`, ...(rule === undefined ? {} : { rule }) };
}
function allowed(layer: BlockingLayer): EvidenceItem {
  return { layer, source: 'envoy-access-log', verdict: 'allowed', raw: `${layer} allowed` };
}

function input(overrides: Partial<AttributionInput>): AttributionInput {
  return {
    controlPassed: true,
    signal: 'timeout',
    success: 'client-signal',
    sinkReceivedCanary: false,
    evidence: [],
    stackLayers: SIDECAR_STACK,
    ...overrides,
  };
}

/**
 * The spec, per block signal, on the sidecar stack: which layer a signal is inferred to (first candidate
 * the stack has), and which layer is credited when both the CNI and the sidecar recorded a denial
 * (first on the path among the layers that can produce that signal).
 */
const INFERRED_ON_SIDECAR_STACK: Readonly<Record<string, BlockingLayer>> = {
  'http-403': 'mesh-sidecar',
  'http-403-cilium': 'cni',
  'http-502': 'mesh-sidecar',
  'header-stripped': 'mesh-sidecar',
  timeout: 'cni',
  refused: 'mesh-sidecar',
  reset: 'mesh-sidecar',
  'tls-error': 'mesh-sidecar',
  nxdomain: 'cni',
  'dns-refused': 'cni',
  unreachable: 'cni',
};
const CREDITED_WHEN_CNI_AND_SIDECAR_DENY: Readonly<Record<string, BlockingLayer>> = {
  'http-403': 'mesh-sidecar',
  'http-403-cilium': 'cni',
  'http-502': 'mesh-sidecar',
  'header-stripped': 'mesh-sidecar',
  timeout: 'cni',
  refused: 'cni',
  reset: 'cni',
  'tls-error': 'cni',
  nxdomain: 'cni',
  'dns-refused': 'cni',
  unreachable: 'cni',
};

type EvidenceCase = 'none' | 'expected-layer' | 'two-layers' | 'layer-not-in-stack' | 'allowed-only';
const EVIDENCE_CASES: readonly EvidenceCase[] = ['none', 'expected-layer', 'two-layers', 'layer-not-in-stack', 'allowed-only'];

function evidenceFor(kind: EvidenceCase, blockSignal: ClientSignal): EvidenceItem[] {
  const expectedLayer = blockSignal === 'admission-denied' ? 'admission' : (INFERRED_ON_SIDECAR_STACK[blockSignal] ?? 'cni');
  switch (kind) {
    case 'none':
      return [];
    case 'expected-layer':
      return [denial(expectedLayer)];
    case 'two-layers':
      return [denial('mesh-sidecar'), denial('cni')];
    case 'layer-not-in-stack':
      return [denial('mesh-ztunnel')];
    case 'allowed-only':
      return [allowed('cni'), allowed('mesh-sidecar')];
  }
}

interface Expected {
  readonly outcome: string;
  readonly blockedBy?: BlockingLayer;
  readonly confidence?: string;
}

/** What DESIGN.md's rules say for a block signal that reached attribution. */
function expectedBlocked(kind: EvidenceCase, blockSignal: ClientSignal, controlPassed: boolean): Expected {
  if (!controlPassed) return { outcome: 'inconclusive' };
  const inferred = INFERRED_ON_SIDECAR_STACK[blockSignal];
  switch (kind) {
    case 'none':
    case 'allowed-only':
      return { outcome: 'blocked', blockedBy: inferred, confidence: 'inferred' };
    case 'expected-layer':
      return { outcome: 'blocked', blockedBy: inferred, confidence: 'confirmed' };
    case 'two-layers':
      return { outcome: 'blocked', blockedBy: CREDITED_WHEN_CNI_AND_SIDECAR_DENY[blockSignal], confidence: 'confirmed' };
    case 'layer-not-in-stack':
      // The record is the layer's own word: it is credited even if the profile did not declare the layer.
      return { outcome: 'blocked', blockedBy: 'mesh-ztunnel', confidence: 'confirmed' };
  }
}

function expectedFor(
  signal: ClientSignal,
  kind: EvidenceCase,
  controlPassed: boolean,
  success: SuccessCriterion,
  sinkReceivedCanary: boolean,
): Expected {
  if (success === 'sink-canary' && sinkReceivedCanary) return { outcome: 'allowed' };
  if (signal === 'error') return { outcome: 'error' };
  if (signal === 'permission-denied') return { outcome: 'inconclusive' };
  if (signal === 'admission-denied') {
    return { outcome: 'blocked', blockedBy: 'admission', confidence: kind === 'expected-layer' ? 'confirmed' : 'inferred' };
  }
  if (PASS_SIGNALS.has(signal)) {
    // Client-signal attacks that got through are allowed; a sink-canary attack without the canary was stopped.
    return success === 'client-signal' ? { outcome: 'allowed' } : expectedBlocked(kind, 'timeout', controlPassed);
  }
  return expectedBlocked(kind, signal, controlPassed);
}

describe('attribute: every client signal × evidence × control × success criterion', () => {
  for (const signal of CLIENT_SIGNALS) {
    for (const kind of EVIDENCE_CASES) {
      for (const controlPassed of [true, false]) {
        for (const [success, sinkReceivedCanary] of [
          ['client-signal', false],
          ['sink-canary', false],
          ['sink-canary', true],
        ] as const) {
          const name = `${signal}, evidence ${kind}, control ${controlPassed ? 'passed' : 'failed'}, ${success}${success === 'sink-canary' ? (sinkReceivedCanary ? ' received' : ' not received') : ''}`;
          it(name, () => {
            const blockSignal = PASS_SIGNALS.has(signal) ? 'timeout' : signal;
            const evidence = evidenceFor(kind, blockSignal);
            const result = attribute(input({ signal, controlPassed, success, sinkReceivedCanary, evidence }));
            const expected = expectedFor(signal, kind, controlPassed, success, sinkReceivedCanary);
            expect({ outcome: result.outcome, blockedBy: result.blockedBy, confidence: result.confidence }).toEqual({
              outcome: expected.outcome,
              blockedBy: expected.blockedBy,
              confidence: expected.confidence,
            });
            // The evidence is the caller's to keep in the cell: attribution never edits it.
            expect(evidence).toEqual(evidenceFor(kind, blockSignal));
          });
        }
      }
    }
  }
});

describe('attribute: combined stacks and catalogue cases', () => {
  it('CNI drops at the source so the sidecar never sees the attempt: cni is credited and confirmed', () => {
    const result = attribute(
      input({ signal: 'timeout', success: 'sink-canary', evidence: [denial('cni'), allowed('mesh-sidecar')] }),
    );
    expect(result).toEqual({ outcome: 'blocked', blockedBy: 'cni', confidence: 'confirmed' });
  });

  it('DNS tunnel: the sink received the canary although the client saw nxdomain → allowed', () => {
    const result = attribute(input({ signal: 'nxdomain', success: 'sink-canary', sinkReceivedCanary: true, evidence: [denial('cni')] }));
    expect(result.outcome).toBe('allowed');
    expect(result.blockedBy).toBeUndefined();
  });

  it('UDP to the sink: client says delivered but no canary arrived → blocked, not allowed', () => {
    const result = attribute(input({ signal: 'delivered', success: 'sink-canary', sinkReceivedCanary: false }));
    expect(result.outcome).toBe('blocked');
    expect(result.blockedBy).toBe('cni');
    expect(result.confidence).toBe('inferred');
  });

  it('UDP delivered with no canary but a failed control stays inconclusive', () => {
    expect(attribute(input({ signal: 'delivered', success: 'sink-canary', controlPassed: false })).outcome).toBe('inconclusive');
  });

  it('an HTTP 403 with a CNI drop on record is still the sidecar\'s: the CNI cannot answer HTTP (fixed flaw)', () => {
    const result = attribute(input({ signal: 'http-403', evidence: [denial('cni'), denial('mesh-sidecar', 'ns[bm-app]-policy[api]-rule[0]')] }));
    expect(result.outcome).toBe('blocked');
    expect(result.blockedBy).toBe('mesh-sidecar');
    expect(result.confidence).toBe('confirmed');
    expect(result.reason).toBe('cni also recorded a denial, but http-403 comes from mesh-sidecar');
  });

  it('ambient: ztunnel rejection and waypoint denial with a reset → ztunnel is first on the path', () => {
    const ambient: ReadonlySet<BlockingLayer> = new Set(['admission', 'api', 'mesh-ztunnel', 'mesh-waypoint']);
    const result = attribute(input({ signal: 'reset', stackLayers: ambient, evidence: [denial('mesh-waypoint'), denial('mesh-ztunnel')] }));
    expect(result).toEqual({ outcome: 'blocked', blockedBy: 'mesh-ztunnel', confidence: 'confirmed' });
  });

  it('ambient waypoint 403 without a record is inferred to the waypoint, not to a sidecar the stack lacks', () => {
    const ambient: ReadonlySet<BlockingLayer> = new Set(['admission', 'api', 'mesh-ztunnel', 'mesh-waypoint']);
    const result = attribute(input({ signal: 'http-403', stackLayers: ambient }));
    expect(result).toMatchObject({ outcome: 'blocked', blockedBy: 'mesh-waypoint', confidence: 'inferred' });
  });

  it('a timeout on a stack with no layer that drops silently is inconclusive, never blocked', () => {
    const bare: ReadonlySet<BlockingLayer> = new Set(['admission', 'api']);
    const result = attribute(input({ signal: 'timeout', stackLayers: bare }));
    expect(result.outcome).toBe('inconclusive');
    expect(result.blockedBy).toBeUndefined();
  });

  it('denied evidence from the sink layer "none" never credits a block', () => {
    const sink: EvidenceItem = { layer: 'none', source: 'sink', verdict: 'denied', raw: 'odd' };
    const result = attribute(input({ signal: 'timeout', evidence: [sink] }));
    expect(result.confidence).toBe('inferred');
  });
});

describe('candidateLayers', () => {
  it('names no layer for pass signals and script failures', () => {
    for (const signal of ['delivered', 'connected', 'http-ok', 'error', 'permission-denied'] as const) {
      expect(candidateLayers(signal)).toEqual([]);
    }
  });

  it('keeps silent drops away from L7-only layers', () => {
    expect(candidateLayers('timeout')).not.toContain('mesh-waypoint');
    expect(candidateLayers('http-403')).not.toContain('cni');
  });

  it('credits a stripped header to an L7 proxy only: ztunnel and the CNI never rewrite headers', () => {
    expect(candidateLayers('header-stripped')).toEqual(['mesh-sidecar', 'mesh-waypoint']);
  });
});
