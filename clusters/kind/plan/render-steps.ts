import { KUBECONFIG_FILE } from './plan-kind-profile.ts';
import type { PlanStep, WaitStep } from './plan-types.ts';

/** POSIX shell quoting, so steps.txt lines can be pasted into a shell as they are. */
export function shellQuote(argument: string): string {
  return /^[\w@%+=:,./-]+$/.test(argument) ? argument : `'${argument.replaceAll("'", `'\\''`)}'`;
}

function command(words: readonly string[]): string {
  return words.map(shellQuote).join(' ');
}

function seconds(ms: number): string {
  return `${Math.ceil(ms / 1000)}s`;
}

function waitCommand(step: WaitStep): string {
  const kubectl = ['kubectl', '--kubeconfig', KUBECONFIG_FILE];
  const namespace = step.what.namespace === undefined ? [] : ['--namespace', step.what.namespace];
  const resource = `${step.what.kind.toLowerCase()}/${step.what.name}`;
  if (step.condition === 'rollout') {
    return command([...kubectl, 'rollout', 'status', resource, ...namespace, `--timeout=${seconds(step.timeoutMs)}`]);
  }
  if (step.condition === 'Succeeded') {
    return command([...kubectl, 'wait', resource, ...namespace, '--for=jsonpath={.status.phase}=Succeeded', `--timeout=${seconds(step.timeoutMs)}`]);
  }
  return command([...kubectl, 'wait', resource, ...namespace, `--for=condition=${step.condition}`, `--timeout=${seconds(step.timeoutMs)}`]);
}

/**
 * The exact command a step amounts to. exec steps are what the provider runs; apply/wait/container steps are
 * done through the Kubernetes API and testcontainers, and are shown as their kubectl/docker equivalents.
 */
export function renderStep(step: PlanStep): string {
  switch (step.kind) {
    case 'exec':
      return command([step.tool, ...step.args]);
    case 'apply':
      return command(['kubectl', '--kubeconfig', KUBECONFIG_FILE, 'apply', '--server-side', '--field-manager=breachmatrix', ...(step.force ? ['--force-conflicts'] : []), '--filename', step.file]);
    case 'wait':
      return waitCommand(step);
    case 'container':
      return command([
        'docker',
        'run',
        '--detach',
        '--name',
        step.name,
        '--network',
        step.network,
        ...Object.entries(step.labels).flatMap(([key, value]) => ['--label', `${key}=${value}`]),
        ...Object.entries(step.env).flatMap(([key, value]) => ['--env', `${key}=${value}`]),
        step.image,
        ...step.command,
      ]);
  }
}
