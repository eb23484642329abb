/** Public API of the kind provider: planning (no Docker needed), the provider, the sweep, and their parts. */
export { createKindProvider, type KindProviderOptions } from './kind-provider.ts';
export { sweepKindLeftovers, type SweepOptions } from './sweep.ts';
export { planKindProfile, SINK_IP_PLACEHOLDER, type KindPlanOptions, type SceneObjects } from './plan/plan-kind-profile.ts';
export { writePlan, planStepLines, planPreamble, teardownCommands } from './plan/write-plan.ts';
export type { KindPlan, PlanStep, PlanFile, PlanPhase } from './plan/plan-types.ts';
export { kindClusterName, CLUSTER_PREFIX } from './plan/cluster-name.ts';
export { loadKindPins, type KindPins } from './pins-tools.ts';
export { ensureTool, defaultCacheDir, type ResolvedTool, type ToolCacheOptions } from './tool-cache.ts';
export type { KindDeps, SideContainer, KubeOps } from './kind-deps.ts';
