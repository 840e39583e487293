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
 * Front matter: a block between `---` lines at the very start of the file, read as
 * `key: value` lines (a value may be quoted); lists, nested maps and comments are skipped.
 * Returns the pairs and the lines after the block.
 */
export function splitFrontMatter(lines: string[]): { metadata: Record<string, string>; body: string[] } {
  if (lines[0]?.trim() !== '---') return { metadata: {}, body: lines };
  const end = lines.findIndex((l, i) => i > 0 && /^(---|\.\.\.)\s*$/.test(l));
  if (end < 0) return { metadata: {}, body: lines };
  const metadata: Record<string, string> = {};
  for (const line of lines.slice(1, end)) {
    // Linear scans only (a long run of spaces must not make a pattern backtrack).
    const m = /^([A-Za-z0-9_.-]+):(.*)$/.exec(line);
    const raw = m?.[2]?.trim();
    if (!m || !raw || /^[[{|>&*#]/.test(raw)) continue;
    const quoted = raw.length >= 2 && (raw[0] === '"' || raw[0] === "'") && raw.endsWith(raw[0]);
    const comment = raw.search(/\s#/);
    metadata[m[1]!] = quoted ? raw.slice(1, -1) : (comment < 0 ? raw : raw.slice(0, comment)).trimEnd();
  }
  return { metadata, body: lines.slice(end + 1) };
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

/** Splits Markdown into sections at ATX headings; fenced code blocks stay whole. Front matter becomes metadata. */
export function parseMarkdown(text: string, fallbackTitle: string): ParsedDocument {
  const { metadata, body: lines } = splitFrontMatter(text.replace(/\r\n?/g, '\n').split('\n'));
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
  return { title: title || fallbackTitle, sections, metadata };
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
