/**
 * A tiny typed XML builder for junit.xml: elements are data, attribute and text values are always escaped, and
 * long bodies go in CDATA sections (split where the text itself contains `]]>`).
 */
export type XmlAttributes = Readonly<Record<string, string | number | undefined>>;

export interface XmlElement {
  readonly tag: string;
  readonly attributes: XmlAttributes;
  readonly children: readonly XmlElement[];
  /** Character data of a leaf element, written as CDATA. */
  readonly cdata?: string;
}

export function x(tag: string, attributes: XmlAttributes = {}, ...children: readonly (XmlElement | readonly XmlElement[])[]): XmlElement {
  return { tag, attributes, children: children.flat() };
}

/** A leaf element whose body is text (kept verbatim in CDATA). */
export function xText(tag: string, attributes: XmlAttributes, text: string): XmlElement {
  return { tag, attributes, children: [], cdata: text };
}

/** Attribute text: escaped, line breaks kept as character references (a parser would fold raw ones to spaces). */
function escape(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
    .replaceAll('\n', '&#10;')
    .replaceAll('\r', '&#13;')
    .replaceAll('\t', '&#9;');
}

function cdata(text: string): string {
  return `<![CDATA[${text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '').replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
}

function render(element: XmlElement, indent: string): string {
  const attributes = Object.entries(element.attributes)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([name, value]) => ` ${name}="${escape(String(value))}"`)
    .join('');
  const open = `${indent}<${element.tag}${attributes}`;
  if (element.cdata !== undefined) return `${open}>${cdata(element.cdata)}</${element.tag}>`;
  if (element.children.length === 0) return `${open}/>`;
  return `${open}>\n${element.children.map((child) => render(child, `${indent}  `)).join('\n')}\n${indent}</${element.tag}>`;
}

export function renderXml(root: XmlElement): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${render(root, '')}\n`;
}
