import type { ParsedDocument, ParsedSection } from './types.ts';

/** GitHub-style heading slug, so citations link to `file.md#some-heading`. */
export function slugify(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .trim()
    .replace(/\s+/g, '-');
}

/**
 * An ATX heading line (`## Title ##`): its level and text, without the closing hashes.
 * Scanned by hand rather than with one pattern: `^(#{1,6})\s+(.*?)\s*#*\s*$` backtracks
 * cubically on a heading followed by a long run of spaces (20,000 would take over an hour).
 */
export function atxHeading(line: string): { level: number; text: string } | undefined {
  let level = 0;
  while (level < line.length && line[level] === '#') level++;
  if (level < 1 || level > 6 || !/\s/.test(line[level] ?? '')) return undefined;
  let text = line.slice(level).trim();
  let end = text.length;
  while (end > 0 && text[end - 1] === '#') end--;
  text = text.slice(0, end).trimEnd();
  return { level, text };
}

/** Splits Markdown into sections at ATX headings; fenced code blocks stay whole. */
export function parseMarkdown(text: string, fallbackTitle: string): ParsedDocument {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const sections: ParsedSection[] = [];
  let title = '';
  let current: ParsedSection = { heading: fallbackTitle, blocks: [] };
  let buf: string[] = [];
  let fence: string | null = null;
  const flush = () => {
    const t = buf.join('\n').trim();
    if (t) current.blocks.push(t);
    buf = [];
  };
  for (const line of lines) {
    const fenceMatch = /^(```|~~~)/.exec(line.trim());
    if (fence) {
      buf.push(line);
      if (fenceMatch && line.trim().startsWith(fence)) {
        fence = null;
        flush();
      }
      continue;
    }
    if (fenceMatch) {
      flush();
      fence = fenceMatch[1] ?? '```';
      buf.push(line);
      continue;
    }
    const h = atxHeading(line);
    if (h) {
      flush();
      if (current.blocks.length) sections.push(current);
      const heading = h.text;
      if (!title && h.level === 1) title = heading;
      current = { heading, anchor: slugify(heading), blocks: [] };
      continue;
    }
    if (!line.trim()) flush();
    else buf.push(line);
  }
  flush();
  if (current.blocks.length) sections.push(current);
  return { title: title || fallbackTitle, sections };
}

/** Plain text: one section, paragraphs split at blank lines. */
export function parsePlainText(text: string, fallbackTitle: string): ParsedDocument {
  const blocks = text
    .replace(/\r\n?/g, '\n')
    .split(/\n\s*\n/)
    .map((b) => b.trim())
    .filter(Boolean);
  const firstLine = blocks[0]?.split('\n')[0]?.trim();
  const title = firstLine && firstLine.length <= 120 ? firstLine : fallbackTitle;
  return { title, sections: blocks.length ? [{ heading: title, blocks }] : [] };
}
