import { describe, expect, it } from 'vitest';
import { renderXml, x, xText } from './xml-node.ts';

describe('xml builder', () => {
  it('escapes attributes (keeping line breaks), keeps CDATA bodies verbatim, drops undefined attributes', () => {
    const xml = renderXml(x('a', { m: 'x < "y" & z\nnext', gone: undefined }, xText('b', {}, 'raw ]]> <c/>'), x('d', { n: 1 })));
    expect(xml).toBe('<?xml version="1.0" encoding="UTF-8"?>\n<a m="x &lt; &quot;y&quot; &amp; z&#10;next">\n  <b><![CDATA[raw ]]]]><![CDATA[> <c/>]]></b>\n  <d n="1"/>\n</a>\n');
  });

  it('drops control characters XML 1.0 cannot carry', () => {
    expect(renderXml(x('a', { m: 'a\u0001b' }, xText('b', {}, 'c\u0007d')))).toContain('<a m="ab">\n  <b><![CDATA[cd]]></b>');
  });
});
