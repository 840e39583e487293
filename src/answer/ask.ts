import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { KbError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { HybridRetriever, Retrieval, RetrievedChunk } from '../retrieval/hybridRetriever.ts';
import { meetsThreshold } from '../retrieval/evidence.ts';
import type { ChunkRow } from '../store/chunkRows.ts';
import { renumber, sectionLabel } from './citations.ts';
import { condenseDeterministic, condenseWithModel } from './condense.ts';
import { EXTRACTIVE_CHUNKS, extractiveAnswer, wantsOpenings, type ChunkContext } from './extractive.ts';
import { generateWithModel } from './generate.ts';
import { dropInstructionEcho } from './outputFilter.ts';
import type { Answer, DraftListener, Turn } from './types.ts';

/** Chunks retrieved for an answer, and how many of them the language model is given. */
export const ANSWER_CHUNKS = 10;
export const MODEL_SOURCES = 6;
import type { MetadataFilter } from '../store/metadata.ts';

export interface AnswerDeps {
  retrieverFor(collections: string[], filter?: MetadataFilter): HybridRetriever;
  chatModel?: BaseChatModel;
  /** A streamed answer is given up after this long without a piece (LLM_TIMEOUT_MS); default DEFAULT_STREAM_IDLE_MS. */
  streamIdleMs?: number;
  minConfidence: number;
  /** The closest sections' titles, named in a refusal. */
  describeKnowledgeBase(collections: string[]): Promise<string>;
  /** Text around each chunk within its section, for extractive answers (sectionContext). */
  chunkContext?(chunkIds: string[]): Promise<Map<string, ChunkContext>>;
  /** The first chunk of each document (openingChunks), for definition questions. */
  openingChunks?(documentIds: string[]): Promise<Map<string, ChunkRow>>;
  logger: Logger;
}

/**
 * Turns the model's text so far into drafts: an unfinished `[1` at the end is held back, markers
 * are numbered as `renumber` will number the whole answer (first use first, so a prefix keeps
 * its numbers), a sentence repeating the system prompt is dropped as in the final answer, and
 * an unchanged draft is not repeated. A listener that throws cannot stop the answer.
 */
function drafter(chunks: RetrievedChunk[], onDraft: DraftListener, logger: Logger): (soFar: string) => void {
  let last = '';
  let broken = false;
  return (soFar) => {
    if (broken) return;
    const draft = renumber(dropInstructionEcho(soFar.replace(/\s?\[\d{0,3}$/, '')).text, chunks).text.trim();
    if (!draft || draft === last) return;
    last = draft;
    try {
      onDraft(draft);
    } catch (err) {
      broken = true;
      logger.warn({ err }, 'a draft listener failed; the answer goes on without drafts');
    }
  };
}

/** Removes control characters (keeping newlines and tabs) and surrounding space. */
export function cleanQuestion(raw: string): string {
  // eslint-disable-next-line no-control-regex -- stripping control characters is the point
  return raw.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\ufffd]/g, '').trim();
}

export function validateQuestion(raw: string, maxChars: number): string {
  const q = cleanQuestion(typeof raw === 'string' ? raw : '');
  if (!q) throw new KbError('input/empty_question');
  if (q.length > maxChars) throw new KbError('input/question_too_long', `That question is ${q.length.toLocaleString('en')} characters long; please keep it under ${maxChars.toLocaleString('en')}.`);
  return q;
}

/**
 * The steps of an answer, which ConversationalAssistant.answer() (the one path every adapter,
 * the CLI and `kb eval --answers` call) runs in order: rewrite a follow-up into a standalone
 * question, retrieve, compose a cited answer. Weak evidence gives an honest refusal with no
 * citations.
 */
export class AnswerService {
  constructor(private readonly deps: AnswerDeps) {}

  async standalone(question: string, history: Turn[]): Promise<string> {
    if (!history.length) return question;
    if (this.deps.chatModel) {
      try {
        return await condenseWithModel(this.deps.chatModel, question, history);
      } catch (err) {
        this.deps.logger.warn({ err }, 'condense-question with the LLM failed; using the deterministic rewrite');
      }
    }
    return condenseDeterministic(question, history);
  }

  /** `followUp`: the question was rewritten with context carried from earlier turns. */
  async retrieve(standaloneQuestion: string, scope: string[], followUp = false, filter?: MetadataFilter): Promise<Retrieval> {
    return this.deps.retrieverFor(scope, filter).retrieve(standaloneQuestion, { followUp });
  }

  /**
   * `followUp`: the topic came from an earlier, answered turn of the conversation, which
   * already shows the question is in the knowledge base's domain, so less lexical
   * evidence is needed for the new words ("what are its downsides?").
   *
   * `onDraft`: called with the answer so far while the language model writes it (citations
   * numbered as the final answer numbers them); never called for refusals or extractive
   * answers. The returned answer is the final version, which may differ from the last draft
   * (a fallback, a refusal, a dropped sentence).
   */
  async compose(standaloneQuestion: string, retrieval: Retrieval, scope: string[], followUp = false, onDraft?: DraftListener): Promise<Answer> {
    const { chunks, confidence } = retrieval;
    if (!chunks.length || !meetsThreshold(confidence, this.deps.minConfidence, followUp)) {
      return {
        text: `I don't know: the knowledge base has nothing that answers this well enough to cite. ${await this.closest(scope, chunks)}`,
        citations: [],
        confidence,
        refused: true,
        standaloneQuestion,
      };
    }
    let raw: string | undefined;
    let note: string | undefined;
    if (this.deps.chatModel) {
      try {
        const sources = chunks.slice(0, MODEL_SOURCES);
        raw = await generateWithModel(this.deps.chatModel, standaloneQuestion, sources, onDraft && drafter(sources, onDraft, this.deps.logger), this.deps.streamIdleMs);
        // A compromised answer (prompt injection via a document) must not quote the instructions.
        const echo = dropInstructionEcho(raw);
        if (echo.dropped) this.deps.logger.warn({ dropped: echo.dropped }, 'dropped answer sentences that repeated the system prompt');
        raw = echo.text;
      } catch (err) {
        this.deps.logger.warn({ err }, 'LLM answer failed; falling back to the extractive answer');
        note = 'The language model was unavailable, so this answer quotes the sources directly.';
      }
    }
    if (raw !== undefined) {
      const { text, citations } = renumber(raw, chunks);
      if (citations.length) return { text, citations, confidence, refused: false, standaloneQuestion };
      if (/I don't know/i.test(raw)) {
        return { text: `I don't know: the sources I found don't answer this. ${await this.closest(scope, chunks)}`, citations: [], confidence, refused: true, standaloneQuestion };
      }
      note = 'The language model gave no citations, so this answer quotes the sources directly.';
    }
    const extract = await this.extractive(standaloneQuestion, retrieval);
    const { text, citations } = renumber(extract.text, extract.chunks);
    return { text, citations, confidence, refused: false, standaloneQuestion, note };
  }

  /** What a refusal points to: the sections nearest the question, or what the knowledge base holds. */
  private async closest(scope: string[], chunks: Retrieval['chunks']): Promise<string> {
    const titles = [...new Set(chunks.map((c) => sectionLabel(c.chunk.title, c.chunk.heading)))].slice(0, 3);
    return titles.length ? `The closest it has: ${titles.join('; ')}.` : this.deps.describeKnowledgeBase(scope);
  }

  /** The extractive answer, and the chunks its markers point into (the retrieved ones, plus any page openings it read). */
  private async extractive(question: string, retrieval: Retrieval): Promise<{ text: string; chunks: RetrievedChunk[] }> {
    const termWeights = new Map(retrieval.queryTerms.filter((t) => t.df > 0).map((t) => [t.term, t.idf]));
    const top = retrieval.chunks.slice(0, EXTRACTIVE_CHUNKS);
    const [context, openings] = await Promise.all([
      this.optional('the chunks\' neighbours', () => this.deps.chunkContext?.(top.map((c) => c.chunk.id))),
      wantsOpenings(question) ? this.optional('the pages\' openings', () => this.deps.openingChunks?.([...new Set(top.map((c) => c.chunk.document_id))])) : undefined,
    ]);
    return extractiveAnswer({ question, chunks: retrieval.chunks, termWeights, context, openings });
  }

  /** Extra reading for the extractive answer: the chunks alone still make one if it fails. */
  private async optional<T>(what: string, read: () => Promise<T> | undefined): Promise<T | undefined> {
    try {
      return await read();
    } catch (err) {
      this.deps.logger.warn({ err }, `reading ${what} failed; answering from the chunks alone`);
      return undefined;
    }
  }
}
