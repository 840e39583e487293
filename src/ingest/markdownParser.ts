import type { ParsedDocument, ParsedSection } from './types.ts';

/** GitHub-style heading slug, so citations link to `file.md#some-heading`. */
export function slugify(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .trim()
    .replace(/\s+/g, '-');
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
    const h = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (h) {
      flush();
      if (current.blocks.length) sections.push(current);
      const heading = h[2] ?? '';
      if (!title && h[1] === '#') title = heading;
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
