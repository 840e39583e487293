import type { RetrievedChunk } from '../retrieval/hybridRetriever.ts';
import type { ChunkRow } from '../store/knowledgeStore.ts';
import { neutraliseMarkers } from './citations.ts';
import { isFurniture, NAME_AND_PURPOSE, passagesOf, splitBlocks, type Block, type Passage } from './passages.ts';
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

/** Definition, purpose and difference questions are often answered by how a page opens. */
export function wantsOpenings(question: string): boolean {
  const kind = questionShape(question).kind;
  return kind === 'definition' || kind === 'purpose' || kind === 'difference';
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
  const lead = complete(best, o.leadChars);
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
function complete(s: Scored, maxChars: number): Chosen {
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
  const code = reachedEnd && p.nextCode && size + p.nextCode.length <= SCREEN_CHARS - 100 ? p.nextCode : undefined;
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

/** IDF per term; the words of a purpose clause ("… to make it readable") weigh half: they say why, not what. */
function termWeightsFor(terms: string[], known: Map<string, number> | undefined, purpose: string[]): Map<string, number> {
  const found = terms.map((t) => known?.get(t)).filter((w): w is number => w !== undefined && w > 0);
  const average = found.length ? found.reduce((a, b) => a + b, 0) / found.length : 1;
  return new Map(terms.map((t) => [t, Math.sqrt(known?.get(t) || average) * (purpose.includes(t) ? 0.5 : 1)]));
}

const CROSS_REFERENCE = /^(see|refer to|for (more|further|additional) (information|details)|more information|this is (described|discussed|explained) in)\b/i;
const SECTION_REF = /\s*\((see\s+)?(Section|Chapter|Table|Example|Appendix|Figure)\s+[\dA-Z][\d.]*[^)]*\)/g;
const ANAPHOR = /^(this|these|that|those|it|they|such|also|however|otherwise|then|thus|therefore|in that case|in this case|here)\b/i;
const COPULA = /^(is|are|was|means|refers|stores|provides|keeps|tracks|allows|lets|represents|contains|consists|can be|denotes|describes)\b/i;
/** A sentence that tells how: "by setting …", "use the … command", "To do X, run …". */
const INSTRUCTS = /\b(by (setting|using|running|adding|editing|creating|calling|specifying|writing)|set (the )?[\w.]+ (parameter )?to|use the|use a|run the|you can|you must|you need to|is done (with|by)|can be done)\b|^to \w[^,]{0,60}, (use|run|set|add|create|call|write|issue|execute)\b/i;
const DESCRIBES = /^(controls|sets|specifies|determines|enables|disables|causes|makes|forces|allows|limits|reports|this (option|parameter|setting|is|command|function|clause)|when (set|enabled|on))\b/i;

function scorePassage(p: Passage, rank: number, stems: Set<string>, heading: Set<string>, terms: string[], weights: Map<string, number>, shape: QuestionShape): number {
  const total = terms.reduce((s, t) => s + weights.get(t)!, 0) || 1;
  const share = (has: (t: string) => boolean) => terms.reduce((s, t) => s + (has(t) ? weights.get(t)! : 0), 0) / total;
  const codeStems = p.code ? new Set(cachedStems(p.code)) : undefined;
  const leadStems = new Set([...(p.label ? cachedStems(p.label) : []), ...cachedStems(p.sentences[0] ?? '')]);
  const labelStems = p.label ? new Set(cachedStems(p.label)) : undefined;
  const coverage = share((t) => stems.has(t)) + 0.5 * share((t) => !stems.has(t) && (codeStems?.has(t) ?? false));
  const leadCoverage = share((t) => leadStems.has(t));
  const headingCoverage = share((t) => heading.has(t) && !stems.has(t));
  let score = 0.45 * coverage + 0.2 * leadCoverage + 0.2 * headingCoverage + 0.45 / (1 + 0.6 * rank);
  if (labelStems) score += 0.1 * share((t) => labelStems.has(t)) + LABEL_PRECISION * labelPrecision(p.label!, terms);

  const first = p.sentences[0] ?? '';
  const prose = p.sentences.join(' ');
  const subject = shape.subject.filter((t) => !CATEGORY.has(t));
  const subjectIn = (text: string) => {
    const has = new Set(cachedStems(text));
    return subject.length ? subject.filter((t) => has.has(t)).length / subject.length : 0;
  };
  // A C declaration answers a question about the C interfaces, not one asked in SQL terms.
  const foreignCode = !shape.aboutC && [p.code, p.nextCode].some((c) => c && C_DECLARATION.test(c));
  switch (shape.kind) {
    case 'howto':
      if (p.code && !foreignCode) score += 0.12 + 0.3 * (codeStems ? share((t) => codeStems.has(t)) : 0);
      if (INSTRUCTS.test(prose)) score += 0.08;
      break;
    case 'definition':
      if (defines(p.sentences, shape)) score += 0.35;
      if (p.opensSection && headingCoversSubject(heading, shape)) score += 0.2;
      break;
    case 'default': {
      // The value's sentence often names nothing ("The default is 128MB."): the passage around it does.
      const sentence = p.sentences.find((x) => DEFAULT_VALUE.test(x));
      if (sentence) score += 0.1 + 0.3 * Math.max(subjectIn(sentence), p.label ? subjectIn(p.label) : 0, 0.7 * subjectIn(`${p.label ?? ''} ${prose}`));
      break;
    }
    case 'difference': {
      // Named in what the passage says, not in a signature's argument types.
      const said = new Set(p.sentences.flatMap((x) => cachedStems(x)));
      const named = shape.sides.filter((side) => side.every((t) => said.has(t) || (codeStems?.has(t) ?? false))).length;
      // A function's entry in a signature table names types, it does not compare them.
      const signature = !!p.label && SIGNATURE.test(p.label);
      if (named >= 2 && !signature) score += 0.15 + 0.08 * Math.min(named, 3);
      // "There is no performance difference among these three types": the sentence that settles it.
      if (DIFFERS.test(prose)) score += 0.2;
      break;
    }
    case 'purpose':
      if (p.label && subjectIn(p.label) >= 0.5) score += 0.3 * subjectIn(p.label);
      if (DESCRIBES.test(first)) score += 0.08;
      if (defines(p.sentences, shape)) score += 0.15;
      break;
    default:
      if (defines(p.sentences, shape)) score += 0.1;
      break;
  }
  if (foreignCode) score -= C_PENALTY;
  // A reference page's "NAME — purpose" line answers only for the name asked about.
  if (NAME_AND_PURPOSE.test(first) && labelPrecision(first.split('—')[0]!, terms) < 1) score -= 0.35;
  if (!p.sentences.length) score -= shape.kind === 'howto' ? 0.1 : 0.25;
  // A label's description is best read from its start.
  if (p.label && !p.opensParagraph) score -= 0.12;
  if (!p.core) score -= 0.05;
  if (!p.opensParagraph && ANAPHOR.test(first)) score -= 0.12;
  if (CROSS_REFERENCE.test(first)) score -= 0.3;
  const last = p.sentences[p.sentences.length - 1] ?? '';
  if (!p.code && /:\s*$/.test(last)) score -= 0.15;
  if (!p.code && /^for example\b/i.test(first)) score -= 0.2;
  const chars = prose.length + (p.code?.length ?? 0) * 0.4;
  if (chars > 420) score -= (chars - 420) / 1500;
  return score;
}

/** A C prototype or declaration: `int PQntuples(const PGresult *res);`, `char *PQgetvalue(…`. */
const C_DECLARATION = /^(?:```\w*\n)?\s*(?:(?:const|unsigned|static|extern|struct)\s+)*(?:void|int|char|bool|long|short|double|float|size_t|Oid|PG[A-Za-z]+|[A-Z][a-z]+(?:[A-Z][a-z]*)*|\w+_t)\s*\**\s*\w+\s*\([^)]*\)?\s*;?/;
const C_PENALTY = 0.25;

/** Weight of a label that names only what the question names. */
const LABEL_PRECISION = 0.2;

/**
 * Share of a label's name (before its argument list or type) that the question names: 1 for
 * `work_mem (integer)` or `FOR UPDATE` asked about by name, less for the longer names that
 * contain them (`logical_decoding_work_mem`, `FOR NO KEY UPDATE`); 0 when none of it is asked.
 */
export function labelPrecision(label: string, terms: readonly string[]): number {
  const name = label.split(/\s*[([]|\s+→/)[0]!;
  const stems = contentStems(name);
  if (!stems.length) return 0;
  const matched = stems.filter((t) => terms.includes(t)).length;
  return matched / stems.length;
}

/** A function's signature as the manual's tables give it: `jsonb_insert ( … ) → jsonb`. */
const SIGNATURE = /→|\w\s*\(.*\)/;
const DIFFERS = /\b(differences?|differs?|differ(ent|ently) from|unlike|whereas|in contrast|compared (to|with))\b/i;

/** A sentence that states a default: "The default is 128MB", "defaults to on", "… (the default)". */
const DEFAULT_VALUE = /\b(the )?default( value| setting)? (is|was)\b|\bdefaults? to\b|\bis the default\b|\(the default\)|\bby default\b|\bdefault:/i;

/** "A tablespace is …", "Event triggers are …", "TRUNCATE quickly removes …", "… is called the visibility map". */
function defines(sentences: string[], shape: QuestionShape): boolean {
  const subject = shape.subject.filter((t) => !CATEGORY.has(t));
  if (!subject.length) return false;
  return sentences.slice(0, 2).some((s) => {
    // "Unlike regular triggers, …, event triggers are global": any clause may open with it.
    if (s.split(/[,;]\s+/).some((clause, i) => opensWith(clause, subject, i > 0))) return true;
    const tail = /\b(called|known as|referred to as|termed|has an?|have an?|uses an?|maintains an?)\s+(.{3,60})/i.exec(s);
    if (!tail) return false;
    // "… an optimization called heap-only tuples (HOT)": the name, or the abbreviation after it.
    const named = contentStems(tail[2]!.split(/[,;]|\)/)[0]!);
    return subject.every((t) => named.includes(t)) || (!!shape.key && named.includes(shape.key) && /\(/.test(tail[2]!.split(/[,;]/)[0]!));
  });
}

/**
 * The clause opens with the subject ("A tablespace is", not "CREATE TABLESPACE is") and a
 * verb follows, or a copula follows it later; a later clause of its sentence needs the copula.
 */
function opensWith(clause: string, subject: string[], needsCopula: boolean): boolean {
  const words = clause.split(/\s+/);
  const before = new Set<string>();
  for (let i = 1; i < Math.min(words.length, 25); i++) {
    for (const t of cachedStems(words[i - 1]!)) before.add(t);
    if (!subject.every((t) => before.has(t))) continue;
    if (![...before].every((t) => subject.includes(t))) return false;
    return (!needsCopula && i <= subject.length + 1) || COPULA.test(words.slice(i).join(' '));
  }
  return false;
}

/** Words naming what kind of thing the subject is ("the TRUNCATE command"), not the subject. */
// Porter stems of command, setting, option, parameter, function, clause, statement, feature, type,
// mode, keyword, variable, configuration, and (in "what is the default value of X") default and value.
const CATEGORY = new Set(['command', 'set', 'option', 'paramet', 'function', 'claus', 'statement', 'featur', 'type', 'mode', 'keyword', 'variabl', 'configur', 'default', 'valu']);

/** A section headed by the subject, or by its most specific word ("Heap-Only Tuples (HOT)" for a HOT update). */
function headingCoversSubject(heading: Set<string>, shape: QuestionShape): boolean {
  return shape.subject.length > 0 && (shape.subject.every((t) => heading.has(t)) || (!!shape.key && heading.has(shape.key)));
}

/** The subject's stem with the highest weight (the rarest): what a definition must name. */
function keyTerm(shape: QuestionShape, weights: Map<string, number>): string | undefined {
  const subject = shape.subject.filter((t) => !CATEGORY.has(t) && weights.has(t));
  return subject.reduce<string | undefined>((best, t) => (best === undefined || weights.get(t)! > weights.get(best)! ? t : best), undefined);
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
