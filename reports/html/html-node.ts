/**
 * A tiny typed HTML builder for the static part of report.html: elements are data, text is always escaped,
 * and only `trusted()` content (our own CSS and script) is written as is.
 */
export type AttributeValue = string | number | boolean | undefined;

export interface HtmlElement {
  readonly kind: 'element';
  readonly tag: string;
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  readonly children: readonly HtmlNode[];
}

export interface TrustedHtml {
  readonly kind: 'trusted';
  readonly html: string;
}

export type HtmlNode = HtmlElement | TrustedHtml | string;

const VOID_TAGS = new Set(['meta', 'link', 'input', 'br', 'hr', 'img']);

export function h(tag: string, attributes: Readonly<Record<string, AttributeValue>> = {}, ...children: readonly (HtmlNode | readonly HtmlNode[])[]): HtmlElement {
  return { kind: 'element', tag, attributes, children: children.flat() };
}

export function trusted(html: string): TrustedHtml {
  return { kind: 'trusted', html };
}

export function escapeText(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

export function escapeAttribute(text: string): string {
  return escapeText(text).replaceAll('"', '&quot;');
}

function renderAttributes(attributes: Readonly<Record<string, AttributeValue>>): string {
  return Object.entries(attributes)
    .filter((entry): entry is [string, string | number | true] => entry[1] !== undefined && entry[1] !== false)
    .map(([name, value]) => (value === true ? ` ${name}` : ` ${name}="${escapeAttribute(String(value))}"`))
    .join('');
}

export function renderHtml(node: HtmlNode): string {
  if (typeof node === 'string') return escapeText(node);
  if (node.kind === 'trusted') return node.html;
  const open = `<${node.tag}${renderAttributes(node.attributes)}>`;
  if (VOID_TAGS.has(node.tag)) return open;
  return `${open}${node.children.map(renderHtml).join('')}</${node.tag}>`;
}

/**
 * JSON for a `<script type="application/json">` block: every `<` becomes `\u003c`, so no `</script>` or
 * `<!--` inside a string can end or confuse the element; JSON.parse reads it back unchanged.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replaceAll('<', '\\u003c').replaceAll('\u2028', '\\u2028').replaceAll('\u2029', '\\u2029');
}
