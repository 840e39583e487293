import type { ParsedDocument, ParsedSection } from './types.ts';

/** One run of text as a PDF page draws it: its baseline origin, font size and advance width. */
export interface PdfTextRun {
  text: string;
  x: number;
  y: number;
  size: number;
  width: number;
}

export interface PdfPageText {
  /** 1-based page number. */
  number: number;
  /** The page's horizontal extent (its media box), to tell a two-column layout. */
  left: number;
  right: number;
  runs: PdfTextRun[];
}

/** An outline (bookmark) entry: its title and, where the destination resolves, its page and top. */
export interface PdfOutlineEntry {
  title: string;
  page?: number;
  top?: number;
}

interface Line {
  text: string;
  x: number;
  right: number;
  y: number;
  size: number;
}

/** Runs whose baselines are this close (in font sizes) sit on one line. */
const SAME_LINE = 0.4;
/** A horizontal gap this wide (in font sizes) inside a line separates two columns or cells. */
const COLUMN_GAP = 2;
/** A line this much larger than the body text (and short) is a heading. */
const HEADING_RATIO = 1.15;
const HEADING_MAX_CHARS = 150;

const collapse = (s: string) => s.replace(/\s+/g, ' ').trim();
const normalise = (s: string) => collapse(s).toLowerCase();

/**
 * Lines of a page: runs grouped by baseline, each group cut where a gap wider than
 * COLUMN_GAP font sizes separates two columns (or table cells), left to right within a line.
 */
function pageLines(runs: PdfTextRun[]): Line[] {
  const sorted = runs.filter((r) => r.text.trim()).sort((a, b) => b.y - a.y || a.x - b.x);
  const groups: PdfTextRun[][] = [];
  for (const r of sorted) {
    const g = groups[groups.length - 1];
    if (g && Math.abs(g[0]!.y - r.y) <= SAME_LINE * Math.max(g[0]!.size, r.size)) g.push(r);
    else groups.push([r]);
  }
  const lines: Line[] = [];
  for (const g of groups) {
    g.sort((a, b) => a.x - b.x);
    let cur: Line | undefined;
    for (const r of g) {
      const gap = cur ? r.x - cur.right : 0;
      if (!cur || gap > COLUMN_GAP * Math.max(cur.size, r.size)) {
        if (cur) lines.push(cur);
        cur = { text: r.text, x: r.x, right: r.x + r.width, y: r.y, size: r.size };
        continue;
      }
      // Runs that touch are parts of one word; a visible gap is a space.
      const space = gap > 0.15 * r.size && !/\s$/.test(cur.text) && !/^\s/.test(r.text);
      cur.text += (space ? ' ' : '') + r.text;
      cur.right = Math.max(cur.right, r.x + r.width);
      if (r.text.trim().length > 1) cur.size = Math.max(cur.size, r.size);
    }
    if (cur) lines.push(cur);
  }
  return lines.map((l) => ({ ...l, text: collapse(l.text) }));
}

/**
 * Reading order of a page's lines: top to bottom, except on a two-column page (most lines
 * lie within one half and both halves have some), where lines spanning the middle (a title,
 * a wide figure caption) split the page into bands, each read left column first.
 */
function readingOrder(lines: Line[], left: number, right: number): Line[] {
  const mid = (left + right) / 2;
  const side = (l: Line) => (l.right <= mid ? 'left' : l.x >= mid ? 'right' : 'span');
  const sides = lines.map(side);
  const spans = sides.filter((s) => s === 'span').length;
  const twoColumns = sides.includes('left') && sides.includes('right') && spans <= 0.2 * lines.length;
  if (!twoColumns) return lines;
  const out: Line[] = [];
  let band: { left: Line[]; right: Line[] } = { left: [], right: [] };
  const flush = () => {
    out.push(...band.left, ...band.right);
    band = { left: [], right: [] };
  };
  lines.forEach((l, i) => {
    const s = sides[i]!;
    if (s === 'span') {
      flush();
      out.push(l);
    } else band[s].push(l);
  });
  flush();
  return out;
}

/** The font size most of the document's characters are set in. */
function bodySize(pages: Line[][]): number {
  const chars = new Map<number, number>();
  for (const l of pages.flat()) {
    const size = Math.round(l.size * 2) / 2;
    chars.set(size, (chars.get(size) ?? 0) + l.text.length);
  }
  let best = 0;
  let most = -1;
  for (const [size, n] of chars) if (n > most || (n === most && size < best)) [best, most] = [size, n];
  return best;
}

/**
 * Builds titled sections from a PDF's text: lines in reading order, joined into paragraphs
 * at vertical gaps and size changes; headings from the outline when the PDF has one (a line
 * matching an entry's title on its page, else a section at the entry's position), or else
 * from font sizes (a short line set larger than the body text). Every page starts a new
 * section, anchored `page=N`, so each chunk cites the page it comes from.
 */
export function layoutPdf(pages: PdfPageText[], outline: PdfOutlineEntry[], metaTitle: string | undefined, fallbackTitle: string): ParsedDocument {
  const ordered = pages.map((p) => readingOrder(pageLines(p.runs), p.left, p.right));
  const body = bodySize(ordered);
  const entries = outline.filter((e) => collapse(e.title));
  const isSizeHeading = (l: Line) => l.size >= body * HEADING_RATIO && l.text.length <= HEADING_MAX_CHARS && /\p{L}/u.test(l.text);
  const largest = Math.max(0, ...(ordered[0] ?? []).map((l) => l.size));
  const firstHeading = ordered[0]?.find((l) => isSizeHeading(l) && l.size === largest);
  const title = collapse(metaTitle ?? '') || (firstHeading ? firstHeading.text : '') || fallbackTitle;

  const sections: ParsedSection[] = [];
  let heading = title;
  let current: ParsedSection | undefined;
  let para = '';
  let last: Line | undefined;
  const flush = () => {
    const t = collapse(para);
    if (t) current!.blocks.push(t);
    para = '';
  };
  const start = (h: string, page: number) => {
    if (current) flush();
    if (current?.blocks.length) sections.push(current);
    heading = h;
    current = { heading: h, anchor: `page=${page}`, blocks: [] };
    last = undefined;
  };

  ordered.forEach((lines, i) => {
    const page = pages[i]!.number;
    start(heading, page);
    const here = entries.filter((e) => e.page === page);
    const matched = new Set<PdfOutlineEntry>();
    // Entries whose title no line matches start their section at their position instead.
    const pending = here.filter((e) => !lines.some((l) => normalise(l.text) === normalise(e.title))).sort((a, b) => (b.top ?? Infinity) - (a.top ?? Infinity));
    for (const line of lines) {
      while (pending.length && (pending[0]!.top === undefined || line.y <= pending[0]!.top)) start(collapse(pending.shift()!.title), page);
      const entry = here.find((e) => !matched.has(e) && normalise(e.title) === normalise(line.text));
      if (entry || (!entries.length && isSizeHeading(line))) {
        if (entry) matched.add(entry);
        // Consecutive heading lines of one size are one heading wrapped over two lines.
        if (!entry && last && last.size === line.size && isSizeHeading(last) && last.y - line.y <= 1.6 * line.size && !current!.blocks.length && !para) {
          current!.heading = heading = `${current!.heading} ${line.text}`;
        } else start(line.text, page);
        last = line;
        continue;
      }
      const gap = last ? last.y - line.y : 0;
      const newParagraph = !last || gap < 0 || gap > 1.6 * Math.max(line.size, last.size) || Math.abs(line.size - last.size) > 0.5;
      if (newParagraph) flush();
      // A line ending in a hyphen continues its word on the next line.
      para += para && !para.endsWith('-') ? ' ' + line.text : line.text;
      last = line;
    }
    for (const e of pending) start(collapse(e.title), page);
  });
  if (current) {
    flush();
    if ((current as ParsedSection).blocks.length) sections.push(current);
  }
  return { title, sections };
}
