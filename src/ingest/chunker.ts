import type { Chunk, ParsedDocument } from './types.ts';

export interface ChunkOptions {
  /** Soft limit on a chunk's characters; a single block larger than this is split. */
  maxChars: number;
  /**
   * Up to this many characters from the end of a chunk's last prose block are repeated at
   * the start of the next chunk of the same section (starting at a sentence, or else a word),
   * so a thought cut at a chunk boundary is whole in one of them. 0 turns it off; code is
   * never repeated, and nothing carries across sections, which cite different anchors.
   */
  overlapChars: number;
}

/** Measured on the dev set with and without overlap (see the commit that set it). */
export const DEFAULT_CHUNKING: ChunkOptions = { maxChars: 1400, overlapChars: 0 };

/** Part of every document's content hash: changing how documents are chunked re-chunks them. */
export function chunkingSignature(options: ChunkOptions = DEFAULT_CHUNKING): string {
  return `max=${options.maxChars};overlap=${options.overlapChars};keep-with-next=2`;
}

/**
 * Chunks follow the document's sections: blocks of one section are packed together up
 * to maxChars and never mixed with another section's, so every chunk has one heading
 * and anchor to cite. `ord` is the chunk's index in the document.
 */
export function chunkDocument(doc: ParsedDocument, options: Partial<ChunkOptions> = {}): Chunk[] {
  const { maxChars, overlapChars } = { ...DEFAULT_CHUNKING, ...options };
  const overlap = Math.max(0, Math.min(overlapChars, Math.floor(maxChars / 2)));
  const chunks: Chunk[] = [];
  for (const section of doc.sections) {
    let buf: string[] = [];
    let size = 0;
    /** True while buf holds only the overlap carried from the previous chunk. */
    let carriedOnly = false;
    const emit = (last = false) => {
      if (!buf.length || carriedOnly) return;
      // A term or a lead-in ("… as follows:") belongs with the block after it, not at a chunk's end.
      const held = !last && buf.length > 1 && introducesNext(buf[buf.length - 1]!) ? buf.pop()! : undefined;
      chunks.push({ ord: chunks.length, heading: section.heading, anchor: section.anchor, content: buf.join('\n\n') });
      const carried = overlap ? overlapTail(buf[buf.length - 1]!, overlap) : '';
      buf = [carried, held].filter((b): b is string => !!b);
      size = buf.reduce((n, b) => n + b.length + 2, 0);
      carriedOnly = carried !== '' && !held;
    };
    for (const block of section.blocks.flatMap((b) => splitBlock(b, maxChars - overlap))) {
      if (size + block.length > maxChars && size > 0 && !carriedOnly) emit();
      buf.push(block);
      size += block.length + 2;
      carriedOnly = false;
    }
    emit(true);
  }
  return chunks;
}

/**
 * A block that only makes sense with the one after it: a short term or signature with no
 * sentence end (`work_mem (integer)`, the entry its description follows) or a sentence that
 * ends in a colon (the lead-in of an example).
 */
export function introducesNext(block: string): boolean {
  if (block.startsWith('```') || block.includes('\n')) return false;
  if (/:\s*$/.test(block)) return block.length <= 400;
  return block.length <= 110 && !/[.!?;]["')\]]?$/.test(block);
}

/** The end of a prose block, at most `max` characters, starting at a sentence (else a word). */
export function overlapTail(block: string, max: number): string {
  if (block.startsWith('```') || block.length <= max) return block.startsWith('```') ? '' : block;
  const tail = block.slice(block.length - max);
  const sentence = /[.!?]\s+(?=\S)/.exec(tail);
  if (sentence) return tail.slice(sentence.index + sentence[0].length);
  const word = tail.search(/\s\S/);
  return word >= 0 ? tail.slice(word + 1) : '';
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
