import { fileURLToPath } from 'node:url';
import { BadInputError } from '../../core/domain/errors.ts';
import { startPythonService, type PythonService } from '../sink/python-service.ts';

/** workload_server.py in this checkout (the sink image copies it to /opt/breachmatrix/). */
export const WORKLOAD_SERVER_SCRIPT = fileURLToPath(new URL('./workload_server.py', import.meta.url));

export interface WorkloadServerOptions {
  /** Reported in every answer: `workload=<name> …`. */
  readonly name: string;
  readonly httpPorts?: readonly number[];
  readonly tcpPorts?: readonly number[];
  readonly bind?: string;
}

/** The command line that starts a workload server, e.g. for `api`: `--http-port 8080 --http-port 9090`. */
export function workloadServerCommand(
  options: WorkloadServerOptions,
  script: string = WORKLOAD_SERVER_SCRIPT,
): string[] {
  const httpPorts = options.httpPorts ?? [];
  const tcpPorts = options.tcpPorts ?? [];
  if (httpPorts.length + tcpPorts.length === 0) {
    throw new BadInputError(`workload ${options.name} listens on nothing`, 'workloadServerCommand', 'at least one HTTP or TCP port');
  }
  const command = ['python3', script, '--name', options.name, '--bind', options.bind ?? '0.0.0.0'];
  for (const port of httpPorts) command.push('--http-port', String(port));
  for (const port of tcpPorts) command.push('--tcp-port', String(port));
  return command;
}

/** Starts a workload server and waits until every port is bound; disposing it stops the process. */
export async function startWorkloadServer(
  options: WorkloadServerOptions,
  run: { readonly prefix?: readonly string[] } = {},
): Promise<PythonService> {
  return startPythonService({
    component: `workload-server ${options.name}`,
    command: workloadServerCommand(options),
    ...(run.prefix === undefined ? {} : { prefix: run.prefix }),
  });
}
