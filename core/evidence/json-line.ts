/** A log line holding one JSON object, or undefined (text format, another JSON value, or not JSON at all). */
export function parseJsonObject(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  // A text starting with '{' parses to an object or not at all; the check keeps the type honest.
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
}
