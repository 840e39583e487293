/** A parsed document before chunking: a title and its sections in reading order. */
export interface ParsedSection {
  heading: string;
  anchor?: string;
  /** Paragraphs, list items and fenced code blocks, in order. */
  blocks: string[];
}

export interface ParsedDocument {
  title: string;
  sections: ParsedSection[];
  /** Markdown front matter or HTML <meta name> pairs, as found (see store/metadata.ts fileMetadata). */
  metadata?: Record<string, unknown>;
}

export interface Chunk {
  ord: number;
  heading: string;
  anchor?: string;
  content: string;
}
