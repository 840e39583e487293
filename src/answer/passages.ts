import { sentences } from './textAnalysis.ts';

/**
 * A chunk's text as the blocks a reader sees: paragraphs, fenced code blocks (whole, blank
 * lines inside included), and labels (a term or signature that the next block describes:
 * `deadlock_timeout (integer)`, `\l[+] [ pattern ]`, a function's signature in a table).
 */
export type BlockKind = 'prose' | 'code' | 'label';

export interface Block {
  kind: BlockKind;
  text: string;
  /** False for blocks borrowed from a neighbouring chunk of the same section. */
  core: boolean;
}

/** Splits chunk text at blank lines, except inside fenced code blocks. */
export function splitBlocks(content: string, core = true): Block[] {
  const blocks: Block[] = [];
  let buf: string[] = [];
  let fence: string | null = null;
  const flush = () => {
    const text = buf.join('\n').trim();
    buf = [];
    if (!text) return;
    blocks.push({ kind: text.startsWith('```') || text.startsWith('~~~') ? 'code' : isLabel(text) ? 'label' : 'prose', text, core });
  };
  for (const line of content.split('\n')) {
    const trimmed = line.trim();
    if (fence) {
      buf.push(line);
      if (trimmed.startsWith(fence) && buf.length > 1) {
        fence = null;
        flush();
      }
      continue;
    }
    const open = /^(```|~~~)/.exec(trimmed);
    if (open) {
      flush();
      fence = open[1]!;
      buf.push(line);
      // A one-line block such as ``` x ``` closes on its own line.
      if (trimmed.length > 3 && trimmed.endsWith(fence) && trimmed !== fence) {
        fence = null;
        flush();
      }
      continue;
    }
    if (!trimmed) flush();
    else buf.push(line);
  }
  // An unclosed fence (a chunk cut inside a code block) is closed so it renders whole.
  if (fence && buf.length) buf.push(fence);
  flush();
  return blocks;
}

/** A reference page's opening line, "TRUNCATE — empty a table or set of tables": a definition, not a term. */
export const NAME_AND_PURPOSE = /^[^\s—][^—\n]{0,80}\s—\s+\S/;

/** A function's signature in the manual's tables, however long: `generate_series ( start timestamp, … ) → setof timestamp`. */
const SIGNATURE_LINE = /^[\w.]+\s*\(.*\)\s*→\s*[\w ()[\],]+$/;

/** A short line with no sentence end (or a signature): the term its next block explains. */
function isLabel(text: string): boolean {
  if (NAME_AND_PURPOSE.test(text)) return false;
  if (text.length <= 300 && !text.includes('\n') && SIGNATURE_LINE.test(text)) return true;
  return text.length <= 110 && !text.includes('\n') && !/[.!?:;]["')\]]?$/.test(text) && !/^(Note|Tip|Warning|Caution|Important)$/i.test(text);
}

/** Table-cell furniture of the manual's function tables ("Yes", "No") carries nothing. */
export function isFurniture(b: Block): boolean {
  return b.kind !== 'code' && b.text.length < 5;
}

/** The name a label gives, before its arguments or result: `string_agg` for `string_agg ( value text, … ) → text`. */
export const labelName = (text: string) => text.split(/\s*[([]|\s+→/)[0]!.trim();

/**
 * Of consecutive labels of one name before a description (a function's signatures for
 * several types), the first: the description is of them all, and the first is the general one.
 */
function firstOfRun(blocks: Block[], i: number): Block {
  const name = labelName(blocks[i]!.text);
  while (i > 0 && blocks[i - 1]!.kind === 'label' && labelName(blocks[i - 1]!.text) === name) i--;
  return blocks[i]!;
}

/** One candidate answer: a run of sentences with what belongs to it. */
export interface Passage {
  /** Index of the retrieved chunk it is cited as. */
  chunkIndex: number;
  /** Order within the chunk's blocks, for document order. */
  position: number;
  label?: string;
  sentences: string[];
  /** The first sentence is the paragraph's opening, and the others come later in it (shown after "…"). */
  gapAfterFirst: boolean;
  /** The sentences after these in the same paragraph, for completing the answer. */
  rest: string[];
  code?: string;
  /** The code block after the paragraph, shown once the sentences reach its end. */
  nextCode?: string;
  /** True when the sentences open their paragraph (no dangling "This" from before). */
  opensParagraph: boolean;
  /** The paragraph is the first of its section (what a section opens with usually defines it). */
  opensSection: boolean;
  /** Some of it is the retrieved chunk's own text (not only its neighbours'). */
  core: boolean;
}

const MAX_WINDOW = 3;
const MAX_PROSE_CHARS = 520;

/**
 * Every window of one to three consecutive sentences of each paragraph, with the label
 * the paragraph describes and the code block it introduces (when the window closes the
 * paragraph); a label on its own when code follows it.
 * `sectionStart`: the first block opens its section.
 */
export function passagesOf(blocks: Block[], chunkIndex: number, sectionStart: boolean): Passage[] {
  const out: Passage[] = [];
  const firstProse = blocks.findIndex((b) => b.kind === 'prose');
  blocks.forEach((block, i) => {
    const prev = blocks[i - 1];
    const next = blocks[i + 1];
    // A label on its own is a passage only with the code it names (a signature and its example).
    if (block.kind === 'label' && next?.kind === 'code' && (block.core || next.core)) {
      out.push({ chunkIndex, position: i * 100, label: block.text, sentences: [], gapAfterFirst: false, rest: [], code: next.text, opensParagraph: true, opensSection: false, core: block.core || next.core });
    }
    if (block.kind === 'code' && prev?.kind !== 'prose' && prev?.kind !== 'label') {
      // A code block with no prose before it (an example right under its heading).
      out.push({ chunkIndex, position: i * 100, sentences: [], gapAfterFirst: false, rest: [], code: block.text, opensParagraph: true, opensSection: false, core: block.core });
    }
    if (block.kind !== 'prose') return;
    const label = prev?.kind === 'label' ? firstOfRun(blocks, i - 1) : undefined;
    const code = next?.kind === 'code' ? next : undefined;
    const all = sentences(block.text.replace(/\n/g, ' '));
    const push = (start: number, end: number, withFirst: boolean) => {
      const withCode = end === all.length - 1 && code ? code : undefined;
      out.push({
        chunkIndex,
        position: i * 100 + start,
        label: label?.text,
        sentences: withFirst ? [all[0]!, ...all.slice(start, end + 1)] : all.slice(start, end + 1),
        gapAfterFirst: withFirst,
        rest: all.slice(end + 1),
        code: withCode?.text,
        nextCode: code?.text,
        opensParagraph: start === 0 || withFirst,
        opensSection: sectionStart && i === firstProse && (start === 0 || withFirst),
        core: block.core || !!label?.core || !!withCode?.core,
      });
    };
    for (let s = 0; s < all.length; s++) {
      let chars = 0;
      for (let e = s; e < Math.min(all.length, s + MAX_WINDOW); e++) {
        chars += all[e]!.length + 1;
        if (chars > MAX_PROSE_CHARS && e > s) break;
        // A label's description is read from its first sentence; a later one joins it after a gap.
        if (s === 0 || !label) push(s, e, false);
      }
      // The paragraph's opening sentence, a gap, and one later sentence: topic, then the point.
      if (s > 1 && all[0]!.length + all[s]!.length < MAX_PROSE_CHARS) push(s, s, true);
    }
  });
  return out;
}
