import * as cheerio from 'cheerio/slim';
import type { AnyNode, Element } from 'domhandler';
import type { ParsedDocument, ParsedSection } from './types.ts';

/** Elements that carry navigation or page furniture, not content. */
const DROP = 'script, style, noscript, nav, header, footer, .navheader, .navfooter, .toc, div.index, div.indexdiv, .list-of-tables, .list-of-examples, .list-of-figures, a.indexterm, iframe, svg, form';
const BLOCK = new Set(['p', 'div', 'li', 'dt', 'dd', 'tr', 'table', 'ul', 'ol', 'dl', 'blockquote', 'section', 'article', 'main', 'figure', 'caption', 'td', 'th', 'br', 'hr', 'tbody', 'thead']);
const HEADING = /^h[1-6]$/;

function collapse(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * Parses an HTML page into titled sections with cheerio (a real HTML parser: its slim
 * build, htmlparser2, which reads the manual's pages into the same sections as the
 * standards-conforming parse5 in half the time and is forgiving of broken markup). Each
 * heading starts a section whose anchor is the heading's id or that of its nearest
 * enclosing element with one (DocBook puts ids on the section div).
 */
export function parseHtml(html: string, fallbackTitle: string): ParsedDocument {
  const $ = cheerio.load(html);
  const pageTitle = collapse($('title').first().text()) || collapse($('h1').first().text()) || fallbackTitle;
  // The enclosing chapter or part ("Chapter 70. GIN Indexes") names what a page such as
  // "70.1. Introduction" is about; keep it in the title as a breadcrumb.
  const up = collapse($('link[rel="up"]').attr('title') ?? $('a[accesskey="u"]').attr('title') ?? '');
  const parent = up.replace(/^(Chapter|Part|Appendix)\s+[\dIVXLC.A-Z]+\.?\s+/, '');
  const home = collapse($('a[accesskey="h"]').attr('title') ?? '');
  const title = parent && up !== home && !pageTitle.includes(parent) ? `${parent} › ${pageTitle}` : pageTitle;
  $(DROP).remove();
  // Link farms (a back-of-book index, sitemaps, long link lists) are navigation, not
  // content: drop lists and tables whose text is almost all link text.
  $('ul, ol, dl, table').each((_i, el) => {
    const node = $(el);
    const links = node.find('a');
    if (links.length < 10) return;
    const text = collapse(node.text()).length;
    const linkText = links.toArray().reduce((n, a) => n + collapse($(a).text()).length, 0);
    if (text > 0 && linkText / text > 0.6) node.remove();
  });

  const sections: ParsedSection[] = [];
  let current: ParsedSection = { heading: title, blocks: [] };
  let para = '';
  const flush = () => {
    const t = collapse(para);
    if (t) current.blocks.push(t);
    para = '';
  };
  const startSection = (el: Element) => {
    flush();
    if (current.blocks.length) sections.push(current);
    current = { heading: collapse($(el).text()) || title, anchor: anchorOf($, el), blocks: [] };
  };

  const walk = (node: AnyNode): void => {
    if (node.type === 'text') {
      para += (node as unknown as { data: string }).data;
      return;
    }
    if (node.type !== 'tag' && node.type !== 'script' && node.type !== 'style') return;
    const el = node as Element;
    const tag = el.tagName.toLowerCase();
    if (HEADING.test(tag)) {
      startSection(el);
      return;
    }
    if (tag === 'pre') {
      flush();
      const code = $(el).text().replace(/^\n+|\s+$/g, '');
      if (code) current.blocks.push('```\n' + code + '\n```');
      return;
    }
    const block = BLOCK.has(tag);
    if (block) flush();
    for (const child of el.children) walk(child);
    if (block) flush();
    else if (tag === 'td' || tag === 'th') para += ' ';
  };

  const body = $('body').get(0) ?? $.root().get(0);
  if (body) for (const child of (body as Element).children ?? []) walk(child);
  flush();
  if (current.blocks.length) sections.push(current);
  return { title, sections };
}

function anchorOf($: cheerio.CheerioAPI, el: Element): string | undefined {
  const own = $(el).attr('id') ?? $(el).find('a[id]').first().attr('id');
  if (own) return own;
  let p = el.parent as Element | null;
  while (p && p.type === 'tag') {
    const id = p.attribs?.id;
    if (id && p.tagName !== 'body') return id;
    p = p.parent as Element | null;
  }
  return undefined;
}
