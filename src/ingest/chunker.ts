import type { Chunk, ParsedDocument } from './types.ts';

export interface ChunkOptions {
  /** Soft limit on a chunk's characters; a single block larger than this is split. */
  maxChars: number;
}

const DEFAULTS: ChunkOptions = { maxChars: 1400 };

/**
 * Chunks follow the document's sections: blocks of one section are packed together up
 * to maxChars and never mixed with another section's, so every chunk has one heading
 * and anchor to cite.
 */
export function chunkDocument(doc: ParsedDocument, options: Partial<ChunkOptions> = {}): Chunk[] {
  const { maxChars } = { ...DEFAULTS, ...options };
  const chunks: Chunk[] = [];
  for (const section of doc.sections) {
    let buf: string[] = [];
    let size = 0;
    const emit = () => {
      if (!buf.length) return;
      chunks.push({ ord: chunks.length, heading: section.heading, anchor: section.anchor, content: buf.join('\n\n') });
      buf = [];
      size = 0;
    };
    for (const block of section.blocks.flatMap((b) => splitBlock(b, maxChars))) {
      if (size + block.length > maxChars && size > 0) emit();
      buf.push(block);
      size += block.length + 2;
    }
    emit();
  }
  return chunks;
}

/** Splits an oversized block: code at line breaks (re-fenced), prose at sentence ends. */
function splitBlock(block: string, maxChars: number): string[] {
  if (block.length <= maxChars) return [block];
  const isCode = block.startsWith('```');
  const pieces = isCode ? block.replace(/^```[^\n]*\n?|\n?```$/g, '').split('\n') : block.split(/(?<=[.!?])\s+/);
  const out: string[] = [];
  let buf = '';
  for (const piece of pieces) {
    for (let i = 0; i < Math.max(piece.length, 1); i += maxChars) {
      const part = piece.slice(i, i + maxChars);
      if (buf && buf.length + part.length + 1 > maxChars) {
        out.push(buf);
        buf = '';
      }
      buf = buf ? buf + (isCode ? '\n' : ' ') + part : part;
    }
  }
  if (buf) out.push(buf);
  return isCode ? out.map((c) => '```\n' + c + '\n```') : out;
}
