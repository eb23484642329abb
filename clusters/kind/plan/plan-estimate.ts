import { estimateFor, type ResourceEstimates } from '../../../core/config/estimates.ts';
import type { KindPlan, PlanStep } from './plan-types.ts';
import { stepDeadlineMs } from './step-deadline.ts';

/** How an image the plan uses is identified: by registry digest, by tag alone, or built on this machine. */
export type ImagePinning = 'digest' | 'tag only' | 'built locally';

export interface PlanImage {
  /** An image reference, or for a Helm chart the chart and version whose default images it pulls. */
  readonly reference: string;
  readonly pinning: ImagePinning;
  /** Where it comes from and why it is pinned that way. */
  readonly note: string;
}

/** What one profile's plan costs the host, read from the plan itself and clusters/estimates.yaml. */
export interface PlanEstimate {
  readonly memoryBytes: number;
  readonly diskBytes: number;
  /** The sum of every step's deadline: the longest the provider waits before failing; not a measured duration. */
  readonly worstCaseMs: number;
  readonly images: readonly PlanImage[];
}

const DIGEST = /@sha256:[0-9a-f]{64}$/;

function pinningOf(reference: string, built: ReadonlySet<string>): ImagePinning {
  if (DIGEST.test(reference)) return 'digest';
  return built.has(reference) ? 'built locally' : 'tag only';
}

function builtImages(steps: readonly PlanStep[]): Set<string> {
  const built = new Set<string>();
  for (const step of steps) {
    if (step.kind !== 'exec' || step.tool !== 'docker' || step.args[0] !== 'build') continue;
    const tag = step.args[step.args.indexOf('--tag') + 1];
    if (tag !== undefined) built.add(tag);
  }
  return built;
}

/** Images a step pulls, preloads or starts, with a note on how the plan uses each. */
function stepImages(step: PlanStep, built: ReadonlySet<string>): PlanImage[] {
  const image = (reference: string, note: string): PlanImage => ({ reference, pinning: pinningOf(reference, built), note });
  if (step.kind === 'container') return [image(step.image, `side container ${step.name} on the kind network`)];
  if (step.kind !== 'exec') return [];
  const { tool, args } = step;
  if (tool === 'docker' && args[0] === 'build') {
    const tag = args[args.indexOf('--tag') + 1] ?? '';
    return [image(tag, `built from ${args.at(-1) ?? '?'} by \`docker build\`, then loaded into every node (no registry digest)`)];
  }
  if (tool === 'docker' && args[0] === 'pull') return [image(args.at(-1) ?? '', 'pulled on the host and loaded into every node')];
  if (tool === 'docker' && args[0] === 'exec' && args[2] === 'crictl' && args[3] === 'pull') return [image(args[4] ?? '', 'pulled by each node\'s containerd')];
  if (tool === 'helm' && args[0] === 'upgrade') {
    const chart = args[3] ?? '?';
    const version = args[args.indexOf('--version') + 1] ?? '?';
    return [
      {
        reference: `chart ${chart} ${version}`,
        pinning: 'tag only',
        note: 'the images the chart names by default, at the tags that chart version sets; this plan pins no digest for them',
      },
    ];
  }
  return [];
}

function uniqueImages(images: readonly PlanImage[]): PlanImage[] {
  const seen = new Map<string, PlanImage>();
  for (const image of images) if (!seen.has(image.reference)) seen.set(image.reference, image);
  return [...seen.values()];
}

export function planEstimate(plan: KindPlan, estimates: ResourceEstimates): PlanEstimate {
  const { memoryBytes, diskBytes } = estimateFor(plan.profile, estimates);
  const built = builtImages(plan.steps);
  const node: PlanImage = { reference: plan.nodeImage, pinning: pinningOf(plan.nodeImage, built), note: `kind node image, ${1 + plan.profile.options.workers} node containers` };
  return {
    memoryBytes,
    diskBytes,
    worstCaseMs: plan.steps.reduce((sum, step) => sum + stepDeadlineMs(step), 0),
    images: uniqueImages([node, ...plan.steps.flatMap((step) => stepImages(step, built))]),
  };
}

function gib(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
}

/** Comment lines for steps.txt: the estimate, said to be one, and each image with how it is pinned. */
export function estimateLines(estimate: PlanEstimate): string[] {
  return [
    `# estimate (clusters/estimates.yaml; estimates, not yet measured on a real run): memory ${gib(estimate.memoryBytes)}, disk ${gib(estimate.diskBytes)}`,
    `# time: no measured duration yet; at most ${Math.ceil(estimate.worstCaseMs / 60_000)} min before the provider gives up (the sum of the step deadlines)`,
    '# images:',
    ...estimate.images.map((image) => `#   ${image.reference} — ${image.pinning}: ${image.note}`),
  ];
}
