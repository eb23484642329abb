import { describe, expect, it } from 'vitest';
import { h, jsonForScript, renderHtml, trusted } from './html-node.ts';

describe('html-node', () => {
  it('escapes text and attributes, writes void and boolean attributes correctly', () => {
    const html = renderHtml(h('p', { title: 'a "b" <c>', hidden: true, tabindex: 0, skipped: false, gone: undefined }, 'x < y & z', h('br')));
    expect(html).toBe('<p title="a &quot;b&quot; &lt;c&gt;" hidden tabindex="0">x &lt; y &amp; z<br></p>');
  });

  it('writes trusted content as is', () => {
    expect(renderHtml(h('style', {}, trusted('a > b {}')))).toBe('<style>a > b {}</style>');
  });

  it('makes JSON that cannot close its script element and parses back unchanged', () => {
    const value = { raw: '</script><script>alert(1)</script><!-- \u2028' };
    const text = jsonForScript(value);
    expect(text).not.toMatch(/<\/?script/i);
    expect(text).not.toContain('<!--');
    expect(JSON.parse(text)).toEqual(value);
  });
});
