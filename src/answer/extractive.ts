import type { RetrievedChunk } from '../retrieval/hybridRetriever.ts';
import type { ChunkRow } from '../store/chunkRows.ts';
import { neutraliseMarkers } from './citations.ts';
import { CROSS_REFERENCE, keyTerm, scorePassage, SECTION_REF, termWeightsFor } from './passageScore.ts';
import { isFurniture, passagesOf, splitBlocks, type Block, type Passage } from './passages.ts';
import { questionShape, type QuestionShape } from './questionKind.ts';
import { cachedStems, contentStems } from './textAnalysis.ts';

/** Text of a chunk's section just before and after it (the neighbouring chunks' edges). */
export interface ChunkContext {
  before?: string;
  after?: string;
}

export interface ExtractiveInput {
  question: string;
  chunks: RetrievedChunk[];
  /** IDF of the question's terms by stem; terms without one weigh the average. */
  termWeights?: Map<string, number>;
  /** By chunk id: its section's text around it, so a passage may finish across a chunk edge. */
  context?: Map<string, ChunkContext>;
  /** By document id: the document's first chunk, read for questions about what something is. */
  openings?: Map<string, ChunkRow>;
}

/**
 * Definition, purpose and difference questions are often answered by how a page opens, and
 * a how-to by a reference page that opens saying it does that ("pg_isready — check the connection status …").
 */
export function wantsOpenings(question: string): boolean {
  const shape = questionShape(question);
  return shape.kind === 'definition' || shape.kind === 'purpose' || shape.kind === 'difference' || (shape.kind === 'howto' && !!shape.action);
}

export interface ExtractiveOptions {
  /** Chunks whose passages are considered. */
  chunks: number;
  /** Supporting passages after the lead one. */
  supports: number;
  /** Soft limit on the answer's characters. */
  maxChars: number;
  /** The lead passage is completed up to this many characters of prose. */
  leadChars: number;
}

/** About one Slack or Discord screen. */
const SCREEN_CHARS = 900;

/** A how-to's lead passage may carry a long example whole (an audit trigger and its tables): there the code is the answer. */
const LONG_EXAMPLE_CHARS = 1600;

/** Retrieved chunks whose passages are considered. */
export const EXTRACTIVE_CHUNKS = 8;

const DEFAULTS: ExtractiveOptions = { chunks: EXTRACTIVE_CHUNKS, supports: 2, maxChars: SCREEN_CHARS - 50, leadChars: 520 };

interface Scored {
  passage: Passage;
  score: number;
  stems: Set<string>;
}

/** A passage chosen for the answer, with its text as the reader sees it. */
interface Chosen extends Scored {
  text: string;
}

const chosenFrom = (s: Scored): Chosen => ({ ...s, text: renderPassage(s.passage) });

/**
 * An answer without a language model, like a search engine's answer box: the passage (a
 * paragraph's sentences with the label they describe and the code block they introduce)
 * that best answers the question as a whole, chosen by how much of the question it covers,
 * how near the front of its paragraph, what kind of question it is, and its chunk's rank;
 * completed to the end of its thought, then at most two short supporting passages. Each
 * passage ends with a `[k]` marker pointing at its chunk; code blocks are never split.
 */
export function extractiveAnswer(input: ExtractiveInput, options: Partial<ExtractiveOptions> = {}): { text: string; chunks: RetrievedChunk[] } {
  const o = { ...DEFAULTS, ...options };
  const { chunks, ranks } = withOpenings(input.chunks.slice(0, o.chunks), input.openings);
  const ranked = rankPassages({ ...input, chunks }, ranks);
  return { text: compose(ranked, chunks, o), chunks: [...chunks, ...input.chunks.slice(o.chunks)] };
}

/**
 * Each document's opening chunk, read right after the document's first retrieved chunk and
 * ranked with it (`ranks`: each chunk's retrieval rank, which the score's rank prior uses).
 */
function withOpenings(retrieved: RetrievedChunk[], openings?: Map<string, ChunkRow>): { chunks: RetrievedChunk[]; ranks: number[] } {
  const chunks: RetrievedChunk[] = [];
  const ranks: number[] = [];
  const present = new Set(retrieved.map((c) => c.chunk.id));
  retrieved.forEach((c, rank) => {
    chunks.push(c);
    ranks.push(rank);
    const opening = openings?.get(c.chunk.document_id);
    if (opening && !present.has(opening.id)) {
      chunks.push({ chunk: opening, fusedScore: 0 });
      ranks.push(rank);
      present.add(opening.id);
    }
  });
  return { chunks, ranks };
}

interface RankedPassages {
  shape: QuestionShape;
  terms: string[];
  /** Best first. */
  scored: Scored[];
}

/** Every passage of the chunks, scored on the question and sorted best first. */
function rankPassages(input: ExtractiveInput, ranks: number[] = input.chunks.map((_, i) => i)): RankedPassages {
  const asked = questionShape(input.question);
  const terms = [...new Set(contentStems(input.question))];
  const weights = termWeightsFor(terms, input.termWeights, asked.purpose);
  const shape = { ...asked, key: keyTerm(asked, weights) };
  const scored: Scored[] = [];
  input.chunks.forEach((c, chunkIndex) => {
    const heading = new Set(contentStems(`${c.chunk.title} ${c.chunk.heading}`));
    const around = input.context?.get(c.chunk.id);
    const sectionStart = input.context ? !around?.before : true;
    for (const passage of passagesOf(blocksWithContext(c, around), chunkIndex, sectionStart)) {
      if (!passage.label && !passage.code && passage.sentences.every((x) => CROSS_REFERENCE.test(x))) continue;
      const stems = new Set([...(passage.label ? cachedStems(passage.label) : []), ...passage.sentences.flatMap((x) => cachedStems(x))]);
      // An answer longer than a screen (a long example) has to be much better to lead.
      const length = (passage.label?.length ?? 0) + passage.sentences.reduce((n, x) => n + x.length + 1, 0) + (passage.code?.length ?? 0);
      const tooLong = length > SCREEN_CHARS ? 0.2 : 0;
      scored.push({ passage, stems, score: scorePassage(passage, ranks[chunkIndex] ?? chunkIndex, stems, heading, terms, weights, shape) - tooLong });
    }
  });
  scored.sort((a, b) => b.score - a.score || a.passage.chunkIndex - b.passage.chunkIndex || a.passage.position - b.passage.position);
  return { shape, terms, scored };
}

/** The lead passage completed, then supporting passages that add to it, within the length budget. */
function compose({ shape, terms, scored }: RankedPassages, chunks: RetrievedChunk[], o: ExtractiveOptions): string {
  const best = scored[0];
  if (!best) return fallback(chunks);
  const lead = complete(best, o.leadChars, shape.kind === 'howto' ? LONG_EXAMPLE_CHARS : undefined);
  const chosen: Chosen[] = [lead];
  let chars = lead.text.length;
  for (const candidate of scored.slice(1)) {
    if (chosen.length > o.supports) break;
    if (candidate.score < 0.6 * best.score) break;
    const s = complete(candidate, SUPPORT_CHARS);
    if (chars + s.text.length > o.maxChars) continue;
    if (chosen.some((c) => overlaps(c, s))) continue;
    // A supporting passage must add something the others lack: a question term, or the code.
    const adds = terms.some((t) => s.stems.has(t) && !chosen.some((c) => c.stems.has(t))) || (shape.kind === 'howto' && s.passage.code && !chosen.some((c) => c.passage.code));
    // …or a second source nearly as good (a close call between pages is better shown than guessed).
    const another = s.score >= 0.8 * best.score && !chosen.some((c) => chunks[c.passage.chunkIndex]!.chunk.document_id === chunks[s.passage.chunkIndex]!.chunk.document_id);
    // …or the entry next to the lead one in the same table, nearly as good (`#>` and `#>>`): the reader picks.
    const sibling = !!best.passage.label && !!s.passage.label && s.passage.label !== best.passage.label && s.passage.chunkIndex === best.passage.chunkIndex && s.score >= 0.85 * best.score;
    if (!adds && !another && !sibling) continue;
    chosen.push(s);
    chars += s.text.length;
  }
  return chosen.map((s) => withMarker(s)).join('\n\n');
}

/** Carries the lead passage on to the end of its paragraph (and its code) while it stays short. */
function complete(s: Scored, maxChars: number, maxWithCode = SCREEN_CHARS - 100): Chosen {
  const p = s.passage;
  if (p.code || !p.rest.length) return chosenFrom(s);
  const sentences = [...p.sentences];
  let size = sentences.join(' ').length;
  let i = 0;
  for (; i < p.rest.length; i++) {
    const next = p.rest[i]!;
    if (size + next.length + 1 > maxChars) break;
    sentences.push(next);
    size += next.length + 1;
  }
  const reachedEnd = i === p.rest.length;
  const code = reachedEnd && p.nextCode && size + p.nextCode.length <= maxWithCode ? p.nextCode : undefined;
  // A last sentence introducing code that is not shown ("for example:") is dropped.
  if (!code && sentences.length > p.sentences.length && /:\s*$/.test(sentences[sentences.length - 1]!)) sentences.pop();
  const passage: Passage = { ...p, sentences, rest: p.rest.slice(sentences.length - p.sentences.length), code };
  return { ...s, passage, text: renderPassage(passage) };
}

/** A supporting passage is completed up to this many characters of prose. */
const SUPPORT_CHARS = 300;

/** Blocks read from each neighbouring chunk of the section. */
const CONTEXT_BLOCKS = 3;

/** The chunk's blocks, with the end of the previous chunk and the start of the next of its section. */
function blocksWithContext(c: RetrievedChunk, around?: ChunkContext): Block[] {
  const before = around?.before ? splitBlocks(around.before, false).slice(-CONTEXT_BLOCKS) : [];
  const after = around?.after ? splitBlocks(around.after, false).slice(0, CONTEXT_BLOCKS) : [];
  return [...before, ...splitBlocks(c.chunk.content), ...after].filter((b) => !isFurniture(b));
}

function overlaps(a: Scored, b: Scored): boolean {
  if (a.passage.chunkIndex !== b.passage.chunkIndex) return a.passage.sentences.some((s) => b.passage.sentences.includes(s));
  return Math.floor(a.passage.position / 100) === Math.floor(b.passage.position / 100) || (!!a.passage.code && a.passage.code === b.passage.code);
}

/** The passage as the reader sees it: label, sentences without section cross-references, code. */
function renderPassage(p: Passage): string {
  const clean = (xs: string[]) =>
    xs
      .map((s) => s.replace(SECTION_REF, ''))
      .filter((s) => !CROSS_REFERENCE.test(s))
      .join(' ')
      .trim();
  const prose = p.gapAfterFirst ? [clean(p.sentences.slice(0, 1)), clean(p.sentences.slice(1))].filter(Boolean).join(' … ') : clean(p.sentences);
  const label = p.label ? `\`${p.label}\`` : '';
  const head = label && prose ? `${label}: ${p.opensParagraph ? '' : '… '}${prose}` : label || prose;
  return [head, p.code].filter(Boolean).join('\n');
}

function withMarker(s: Chosen): string {
  const marker = ` [${s.passage.chunkIndex + 1}]`;
  const text = neutraliseMarkers(s.text);
  const [head, ...code] = text.split('\n');
  if (!s.passage.code || !head || head.startsWith('```') || head.startsWith('~~~')) {
    return s.passage.code && (head?.startsWith('```') || head?.startsWith('~~~')) ? `${text}\n[${s.passage.chunkIndex + 1}]` : `${text}${marker}`;
  }
  return `${head}${marker}\n${code.join('\n')}`;
}

/** With nothing scorable, the top chunk's first paragraph. */
function fallback(chunks: RetrievedChunk[]): string {
  const blocks = chunks[0] ? splitBlocks(chunks[0].chunk.content) : [];
  const first = blocks.find((b) => b.kind === 'prose') ?? blocks[0];
  return first ? `${neutraliseMarkers(first.text)} [1]` : '';
}
