/**
 * Does the live object contain every field the harness sent? A deep "subset" comparison: extra live fields
 * (defaults, status, injected containers) are fine; a missing or different sent field is a difference, named
 * by its path. List items that carry a `name` (containers, ports, volumes) are matched by name, because the
 * API server and admission webhooks may add items (an injected istio-proxy); other lists by position.
 */
export function subsetDifferences(sent: unknown, live: unknown, path = ''): string[] {
  if (Array.isArray(sent)) return arrayDifferences(sent, live, path);
  if (isRecord(sent)) {
    if (!isRecord(live)) return [`${path || '(root)'}: sent an object, live has ${describe(live)}`];
    return Object.entries(sent).flatMap(([key, value]) => {
      const childPath = path === '' ? key : `${path}.${key}`;
      if (value === undefined) return [];
      if (!(key in live)) return [`${childPath}: missing on the live object`];
      return subsetDifferences(value, live[key], childPath);
    });
  }
  return Object.is(sent, live) ? [] : [`${path || '(root)'}: sent ${JSON.stringify(sent)}, live ${describe(live)}`];
}

function arrayDifferences(sent: readonly unknown[], live: unknown, path: string): string[] {
  if (!Array.isArray(live)) return [`${path}: sent a list, live has ${describe(live)}`];
  const byName = sent.every((item) => isRecord(item) && typeof item['name'] === 'string');
  return sent.flatMap((item, index) => {
    if (byName && isRecord(item)) {
      const name = item['name'] as string;
      const match = live.find((candidate) => isRecord(candidate) && candidate['name'] === name);
      if (match === undefined) return [`${path}[name=${name}]: missing on the live object`];
      return subsetDifferences(item, match, `${path}[name=${name}]`);
    }
    if (index >= live.length) return [`${path}[${index}]: missing on the live object`];
    return subsetDifferences(item, live[index], `${path}[${index}]`);
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
