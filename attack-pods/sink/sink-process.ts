import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { InfrastructureError } from '../../core/domain/errors.ts';
import { SCENE } from '../../manifests/scene.ts';
import { startPythonService, type PythonService } from './python-service.ts';
import { SinkClient, sinkQueryUrl } from './sink-client.ts';

/** sink.py in this checkout (the lab runs it from here; the image copies it to /opt/breachmatrix/). */
export const SINK_SCRIPT = fileURLToPath(new URL('./sink.py', import.meta.url));

/** Flags of sink.py. Ports default to SCENE.sink; 0 lets the kernel choose (the ready line names it). */
export interface SinkOptions {
  readonly bind?: string;
  readonly httpPort?: number;
  readonly tcpPort?: number;
  readonly udpPort?: number;
  readonly dnsPort?: number;
  readonly queryPort?: number;
  readonly queryBind?: string;
  readonly zone?: string;
  /** A answers under the zone; default the sink's own address. */
  readonly answerIp?: string;
  /** Also emulate a cloud metadata endpoint (EG7) on this port. */
  readonly metadataPort?: number;
  readonly metadataBind?: string;
  /** Skip the raw ICMP listener (only where CAP_NET_RAW is missing). */
  readonly icmp?: boolean;
}

/** The command line that starts the sink: `python3 <script> --bind … --http-port …`. */
export function sinkCommand(options: SinkOptions = {}, script: string = SINK_SCRIPT): string[] {
  const flags: [string, string | number | undefined][] = [
    ['--bind', options.bind ?? '0.0.0.0'],
    ['--http-port', options.httpPort ?? SCENE.sink.httpPort],
    ['--tcp-port', options.tcpPort ?? SCENE.sink.tcpPort],
    ['--udp-port', options.udpPort ?? SCENE.sink.udpPort],
    ['--dns-port', options.dnsPort ?? SCENE.sink.dnsPort],
    ['--query-port', options.queryPort ?? SCENE.sink.queryPort],
    ['--query-bind', options.queryBind],
    ['--zone', options.zone ?? SCENE.exfilZone],
    ['--answer-ip', options.answerIp],
    ['--metadata-port', options.metadataPort],
    ['--metadata-bind', options.metadataBind],
  ];
  const command = ['python3', script];
  for (const [flag, value] of flags) if (value !== undefined) command.push(flag, String(value));
  if (options.icmp === false) command.push('--no-icmp');
  return command;
}

const readySchema = z.object({
  bind: z.string(),
  ports: z.object({
    http: z.number(),
    tcp: z.number(),
    udp: z.number(),
    dns: z.number(),
    query: z.number(),
    metadata: z.number().optional(),
  }),
  zone: z.string(),
  answerIp: z.string(),
  icmp: z.boolean(),
});
export type SinkReady = z.infer<typeof readySchema>;

/** A running sink process. Disposing it stops the process. */
export interface SinkProcess extends AsyncDisposable {
  readonly pid: number;
  /** What the sink bound (actual ports, also when 0 was asked). */
  readonly ready: SinkReady;
  readonly client: SinkClient;
  /** JSON lines the sink logged (one per record: `{"event":"canary",…}`). */
  events(): readonly Readonly<Record<string, unknown>>[];
  stop(): Promise<void>;
}

/**
 * Starts the sink as a child process and waits until every listener is bound. `prefix` wraps the command
 * (e.g. `['ip', 'netns', 'exec', name]`); `queryHost` is where the query API is reached from here
 * (default: the bind address, or loopback for a wildcard bind).
 */
export async function startSink(
  options: SinkOptions = {},
  run: { readonly prefix?: readonly string[]; readonly queryHost?: string } = {},
): Promise<SinkProcess> {
  const service: PythonService = await startPythonService({
    component: 'sink',
    command: sinkCommand(options),
    ...(run.prefix === undefined ? {} : { prefix: run.prefix }),
  });
  const parsed = readySchema.safeParse(service.ready);
  if (!parsed.success) {
    await service.stop();
    throw new InfrastructureError('sink', `unexpected ready line: ${JSON.stringify(service.ready)}`);
  }
  const ready = parsed.data;
  const bound = options.queryBind ?? ready.bind;
  const host = run.queryHost ?? (bound === '0.0.0.0' ? '127.0.0.1' : bound);
  return {
    pid: service.pid,
    ready,
    client: new SinkClient(sinkQueryUrl(host, ready.ports.query)),
    events: () => service.events(),
    stop: () => service.stop(),
    [Symbol.asyncDispose]: () => service.stop(),
  };
}
