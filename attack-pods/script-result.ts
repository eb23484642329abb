import { isClientSignal, type ClientSignal } from '../core/domain/signal.ts';

/** What one attack script reported, parsed from its single `BM-RESULT {json}` line. */
export interface ScriptResult {
  readonly signal: ClientSignal;
  readonly detail: string;
  /** The exit code the script reported for the tool it ran (not the shell's). */
  readonly exit: number;
  /** Every other field of the result line (per-variant reports, ports, http codes…). */
  readonly fields: Readonly<Record<string, string | number>>;
}

export const RESULT_MARKER = 'BM-RESULT ';

/**
 * The line packet-capture.sh prints, while it still runs, once tcpdump reports its capture open ("listening on"):
 * the runner starts the eavesdropping victim only after it (core/runner/capture-with-victim.ts).
 */
export const CAPTURE_OPEN_LINE = 'BM-READY capture-open';

function failure(detail: string, exitCode: number, stderr: string): ScriptResult {
  const tail = stderr.trim().split('\n').slice(-3).join(' | ');
  return {
    signal: 'error',
    detail: tail.length > 0 ? `${detail}; stderr: ${tail.slice(0, 300)}` : detail,
    exit: exitCode,
    fields: {},
  };
}

/**
 * Parse a script run. Exactly one result line is expected; a missing, duplicated or garbled line is `error`
 * with a detail saying why — never a network verdict.
 */
export function parseScriptResult(stdout: string, stderr: string, exitCode: number): ScriptResult {
  const lines = stdout.split('\n').filter((line) => line.startsWith(RESULT_MARKER));
  if (lines.length === 0) return failure(`no result line (exit code ${exitCode})`, exitCode, stderr);
  if (lines.length > 1) return failure(`${lines.length} result lines, expected exactly one`, exitCode, stderr);
  const text = (lines[0] ?? '').slice(RESULT_MARKER.length);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return failure(`garbled result line (${(error as Error).message}): ${text.slice(0, 200)}`, exitCode, stderr);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return failure(`result line is not a JSON object: ${text.slice(0, 200)}`, exitCode, stderr);
  }
  const record = parsed as Record<string, unknown>;
  const { signal, detail, exit } = record;
  if (!isClientSignal(signal)) return failure(`unknown signal ${JSON.stringify(signal)}`, exitCode, stderr);
  if (typeof exit !== 'number' || !Number.isInteger(exit)) {
    return failure(`result line has no integer "exit": ${text.slice(0, 200)}`, exitCode, stderr);
  }
  const fields: Record<string, string | number> = {};
  for (const [key, value] of Object.entries(record)) {
    if (key === 'signal' || key === 'detail' || key === 'exit') continue;
    if (typeof value === 'string' || typeof value === 'number') fields[key] = value;
  }
  return { signal, detail: typeof detail === 'string' ? detail : '', exit, fields };
}
