import { z } from 'zod';
import { ATTACK_FAMILIES } from '../core/domain/attack.ts';
import { OUTCOMES } from '../core/domain/cell.ts';
import { POLICY_GROUPS } from '../core/domain/depth.ts';
import { EVIDENCE_SOURCES } from '../core/domain/evidence.ts';
import { LAYERS } from '../core/domain/layer.ts';
import { CNIS, MESHES, PROVIDERS } from '../core/domain/profile.ts';
import { CONTROL_KINDS } from '../core/domain/control.ts';
import { READABLE_SCHEMA_VERSIONS } from '../core/domain/results.ts';
import type { CellLine, ProfileErrorLine, ResultLine, RunEndLine, RunHeaderLine } from '../core/domain/results.ts';
import { SCENE_CHECK_KINDS, type SceneSelfTestLine } from '../core/domain/scene-self-test.ts';
import { CLIENT_SIGNALS } from '../core/domain/signal.ts';

/**
 * zod schemas for the lines of results.jsonl, mirroring core/domain/results.ts and cell.ts. Objects are loose
 * so a newer harness may add fields without breaking older reporters; the `satisfies` checks below keep these
 * schemas and the domain types from drifting apart.
 */
const blockingLayer = z.enum(LAYERS).exclude(['none']);
const isoTime = z.iso.datetime({ offset: true });
/** This harness writes version 2 and still reads version 1 (cells without the attempt's flow and control path). */
const schemaVersion = z.union(READABLE_SCHEMA_VERSIONS.map((version) => z.literal(version)));
const flowProtocol = z.enum(['tcp', 'udp', 'icmp', 'dns', 'http']);
/** One flow as reports show it (schema 2). */
const flowSummary = z.looseObject({ from: z.string(), to: z.string(), port: z.int().min(0).optional(), protocol: flowProtocol });

const evidenceItem = z.looseObject({
  layer: z.enum(LAYERS),
  source: z.enum(EVIDENCE_SOURCES),
  verdict: z.enum(['denied', 'allowed', 'delivered', 'observed']),
  raw: z.string(),
  detail: z.string().optional(),
  rule: z.string().optional(),
  at: z.string().optional(),
  matched: z.array(z.string()).optional(),
});

const expectation = z.looseObject({
  outcome: z.enum(['allowed', 'blocked', 'not-applicable']),
  blockedBy: blockingLayer.optional(),
  signal: z.enum(CLIENT_SIGNALS).optional(),
  certainty: z.enum(['documented', 'inferred', 'version-dependent']),
  source: z.string(),
  note: z.string().optional(),
});

/** Depth by ablation (`run --depth`, core/domain/depth.ts): one entry per policy group's pass. */
const cellDepth = z.looseObject({
  layers: z.array(
    z.looseObject({
      policies: z.enum(POLICY_GROUPS),
      layer: z.string(),
      outcome: z.enum(OUTCOMES),
      blockedBy: blockingLayer.optional(),
      confidence: z.enum(['confirmed', 'inferred']).optional(),
      evidence: z.array(evidenceItem),
      stops: z.boolean(),
      canary: z.string().optional(),
      reason: z.string().optional(),
    }),
  ),
  count: z.int().min(0).optional(),
  atLeast: z.int().min(0).optional(),
  incomplete: z.string().optional(),
});

const cell = z.looseObject({
  schemaVersion,
  runId: z.string().min(1),
  provider: z.enum(PROVIDERS),
  profileId: z.string().min(1),
  attackId: z.string().min(1),
  family: z.enum(ATTACK_FAMILIES),
  title: z.string(),
  outcome: z.enum(OUTCOMES),
  signal: z.enum(CLIENT_SIGNALS).optional(),
  blockedBy: blockingLayer.optional(),
  confidence: z.enum(['confirmed', 'inferred']).optional(),
  evidence: z.array(evidenceItem),
  expected: expectation,
  asExpected: z.boolean(),
  flow: flowSummary.optional(),
  control: z
    .looseObject({
      kind: z.enum(CONTROL_KINDS).optional(),
      from: z.string().optional(),
      to: z.string().optional(),
      port: z.int().min(0).optional(),
      protocol: flowProtocol.optional(),
      result: z.enum(['passed', 'failed']).optional(),
      passed: z.boolean(),
      signal: z.enum(CLIENT_SIGNALS),
      detail: z.string().optional(),
      tries: z.int().min(0).optional(),
      client: z.enum(['shared', 'own']).optional(),
    })
    .optional(),
  reason: z.string().optional(),
  attempts: z.int().min(0),
  canary: z.string().optional(),
  timings: z.looseObject({
    startedAt: isoTime,
    finishedAt: isoTime,
    controlMs: z.number().min(0),
    attemptMs: z.number().min(0),
    evidenceMs: z.number().min(0),
  }),
  depth: cellDepth.optional(),
});

const versions = z.looseObject({
  kubernetes: z.string(),
  kind: z.string().optional(),
  calico: z.string().optional(),
  cilium: z.string().optional(),
  istio: z.string().optional(),
  gatewayApi: z.string().optional(),
});

const runHeader = z.looseObject({
  type: z.literal('run'),
  schemaVersion,
  runId: z.string().min(1),
  harnessVersion: z.string(),
  provider: z.enum(PROVIDERS),
  startedAt: isoTime,
  profiles: z.array(
    z.looseObject({
      id: z.string().min(1),
      cni: z.enum(CNIS),
      mesh: z.enum(MESHES),
      versions,
      provider: z.enum(PROVIDERS),
      isLab: z.boolean(),
    }),
  ),
  attacks: z.array(
    z.looseObject({
      id: z.string().min(1),
      family: z.enum(ATTACK_FAMILIES),
      title: z.string(),
      technique: z.string(),
      references: z.array(z.looseObject({ title: z.string(), url: z.string() })),
    }),
  ),
});

const cellLine = z.looseObject({ type: z.literal('cell'), cell });

const profileErrorLine = z.looseObject({
  type: z.literal('profile-error'),
  runId: z.string().min(1),
  profileId: z.string().min(1),
  component: z.string(),
  message: z.string(),
  at: isoTime,
});

/** Optional line kind: older results files have no `scene` lines, and readers must not require them. */
const sceneLine = z.looseObject({
  type: z.literal('scene'),
  runId: z.string().min(1),
  profileId: z.string().min(1),
  checks: z.array(
    z.looseObject({
      name: z.string().min(1),
      kind: z.enum(SCENE_CHECK_KINDS),
      expected: z.string(),
      observed: z.string(),
      tries: z.number().int().min(0),
      passed: z.boolean(),
      detail: z.string(),
    }),
  ),
  passed: z.boolean(),
  durationMs: z.number().min(0),
  at: isoTime,
  pass: z.optional(z.looseObject({ policies: z.enum(POLICY_GROUPS), phase: z.enum(['fresh-cluster', 'ablated', 'restored']), objects: z.optional(z.array(z.string())) })),
});

const endLine = z.looseObject({
  type: z.literal('end'),
  runId: z.string().min(1),
  finishedAt: isoTime,
  interrupted: z.boolean(),
});

export const resultLineSchema = z.discriminatedUnion('type', [runHeader, cellLine, profileErrorLine, sceneLine, endLine]);

// Compile-time guards: a parsed line must be usable as the domain type.
type Parsed = z.infer<typeof resultLineSchema>;
type AssertAssignable<T extends U, U> = T;
export type ParsedLinesMatchDomain = AssertAssignable<Parsed, ResultLine>;
export type ParsedHeaderMatchesDomain = AssertAssignable<z.infer<typeof runHeader>, RunHeaderLine>;
export type ParsedCellMatchesDomain = AssertAssignable<z.infer<typeof cellLine>, CellLine>;
export type ParsedErrorMatchesDomain = AssertAssignable<z.infer<typeof profileErrorLine>, ProfileErrorLine>;
export type ParsedSceneMatchesDomain = AssertAssignable<z.infer<typeof sceneLine>, SceneSelfTestLine>;
export type ParsedEndMatchesDomain = AssertAssignable<z.infer<typeof endLine>, RunEndLine>;

/** The line types results.jsonl may contain, for error messages. */
export const RESULT_LINE_TYPES = ['run', 'cell', 'profile-error', 'scene', 'end'] as const;
