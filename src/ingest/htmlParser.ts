import { parseDocument } from 'htmlparser2';
import { findAll, findOne, textContent } from 'domutils';
import { isTag, type AnyNode, type Element, type ParentNode } from 'domhandler';
import type { ParsedDocument, ParsedSection } from './types.ts';

/** Elements that carry navigation or page furniture, not content: by tag name… */
const DROP_TAGS = new Set(['script', 'style', 'noscript', 'nav', 'header', 'footer', 'iframe', 'svg', 'form']);
/** …and by class (DocBook's navigation, tables of contents and index entries). */
const DROP_CLASSES = new Set(['navheader', 'navfooter', 'toc', 'list-of-tables', 'list-of-examples', 'list-of-figures']);
const BLOCK = new Set(['p', 'div', 'li', 'dt', 'dd', 'tr', 'table', 'ul', 'ol', 'dl', 'blockquote', 'section', 'article', 'main', 'figure', 'caption', 'td', 'th', 'br', 'hr', 'tbody', 'thead']);
const LISTS = new Set(['ul', 'ol', 'dl', 'table']);
const HEADING = /^h[1-6]$/;

function collapse(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function dropped(el: Element): boolean {
  if (DROP_TAGS.has(el.name)) return true;
  const cls = el.attribs.class;
  if (!cls) return false;
  for (const c of cls.split(/\s+/)) {
    if (DROP_CLASSES.has(c)) return true;
    if ((c === 'index' || c === 'indexdiv') && el.name === 'div') return true;
    if (c === 'indexterm' && el.name === 'a') return true;
  }
  return false;
}

/** Text of a node without its dropped parts. */
function text(node: AnyNode): string {
  if (node.type === 'text') return (node as unknown as { data: string }).data;
  if (isTag(node) && dropped(node)) return '';
  if (!('children' in node)) return '';
  let out = '';
  for (const child of (node as ParentNode).children) if (child.type !== 'comment') out += text(child);
  return out;
}

/**
 * A link farm (a back-of-book index, a sitemap, a long link list) is navigation, not
 * content: a list or table with at least ten links whose text is almost all link text.
 */
function isLinkFarm(el: Element): boolean {
  const links: Element[] = [];
  const collect = (n: AnyNode) => {
    if (!isTag(n) || dropped(n)) return;
    if (n.name === 'a') links.push(n);
    for (const c of n.children) collect(c);
  };
  for (const c of el.children) collect(c);
  if (links.length < 10) return false;
  const all = collapse(text(el)).length;
  const linkText = links.reduce((n, a) => n + collapse(text(a)).length, 0);
  return all > 0 && linkText / all > 0.6;
}

const first = (root: AnyNode[], test: (el: Element) => boolean) => findOne(test, root, true) ?? undefined;

/**
 * Parses an HTML page into titled sections with htmlparser2 (a forgiving HTML parser that
 * reads the manual's pages into the same sections as a standards-conforming one, in a
 * fraction of the time), walking the tree once. Each heading starts a section whose anchor
 * is the heading's id or that of its nearest enclosing element with one (DocBook puts ids
 * on the section div).
 */
export function parseHtml(html: string, fallbackTitle: string): ParsedDocument {
  const doc = parseDocument(html);
  const root = doc.children;
  const titleEl = first(root, (el) => el.name === 'title');
  const h1 = first(root, (el) => el.name === 'h1');
  const pageTitle = collapse(titleEl ? textContent(titleEl) : '') || collapse(h1 ? textContent(h1) : '') || fallbackTitle;
  // The enclosing chapter or part ("Chapter 70. GIN Indexes") names what a page such as
  // "70.1. Introduction" is about; keep it in the title as a breadcrumb.
  const upLink = first(root, (el) => el.name === 'link' && el.attribs.rel === 'up');
  const upAnchor = first(root, (el) => el.name === 'a' && el.attribs.accesskey === 'u');
  const up = collapse(upLink?.attribs.title ?? upAnchor?.attribs.title ?? '');
  const parent = up.replace(/^(Chapter|Part|Appendix)\s+[\dIVXLC.A-Z]+\.?\s+/, '');
  const home = collapse(first(root, (el) => el.name === 'a' && el.attribs.accesskey === 'h')?.attribs.title ?? '');
  const title = parent && up !== home && !pageTitle.includes(parent) ? `${parent} › ${pageTitle}` : pageTitle;

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
    current = { heading: collapse(text(el)) || title, anchor: anchorOf(el), blocks: [] };
  };

  const walk = (node: AnyNode): void => {
    if (node.type === 'text') {
      para += (node as unknown as { data: string }).data;
      return;
    }
    if (!isTag(node) || dropped(node)) return;
    const tag = node.name.toLowerCase();
    if (HEADING.test(tag)) {
      startSection(node);
      return;
    }
    if (tag === 'pre') {
      flush();
      // trimEnd, not /\s+$/: that pattern is quadratic on a long run of spaces inside the block.
      const code = text(node).replace(/^\n+/, '').trimEnd();
      if (code) current.blocks.push('```\n' + code + '\n```');
      return;
    }
    if (LISTS.has(tag) && isLinkFarm(node)) return;
    const block = BLOCK.has(tag);
    if (block) flush();
    for (const child of node.children) walk(child);
    if (block) flush();
    else if (tag === 'td' || tag === 'th') para += ' ';
  };

  const body = first(root, (el) => el.name === 'body');
  for (const child of body ? body.children : root) walk(child);
  flush();
  if (current.blocks.length) sections.push(current);
  return { title, sections, metadata: metaTags(root) };
}

/** <meta name="…" content="…"> pairs of the page (the first of each name). */
function metaTags(root: AnyNode[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const el of findAll((e) => e.name === 'meta' && typeof e.attribs.name === 'string' && typeof e.attribs.content === 'string', root)) {
    const name = el.attribs.name!.toLowerCase();
    if (!(name in out)) out[name] = el.attribs.content!;
  }
  return out;
}

function anchorOf(el: Element): string | undefined {
  const own = el.attribs.id ?? firstLinkId(el);
  if (own) return own;
  let p = el.parent;
  while (p && isTag(p)) {
    const id = p.attribs.id;
    if (id && p.name !== 'body') return id;
    p = p.parent;
  }
  return undefined;
}

/** The id of the first `a` with one inside `el` (outside its dropped parts). */
function firstLinkId(el: Element): string | undefined {
  for (const c of el.children) {
    if (!isTag(c) || dropped(c)) continue;
    if (c.name === 'a' && c.attribs.id !== undefined) return c.attribs.id;
    const inner = firstLinkId(c);
    if (inner !== undefined) return inner;
  }
  return undefined;
}
