import { randomBytes } from 'node:crypto';
import type { Answer } from '../answer/types.ts';
import type { KeyValueStore } from '../cache/keyValueStore.ts';
import type { Retrieval } from '../retrieval/types.ts';
import type { HandoffStore } from '../store/handoffStore.ts';
import type { AnswerActions, AnswerRecord, Explanation, Handoff, HandoffRequest, SuggestedPrompt } from './types.ts';

/** How long the buttons under an answer keep working. */
export const ANSWER_RECORD_TTL_S = 7 * 86_400;

export interface AnswerActionsDeps {
  kv: KeyValueStore;
  /** The retrieval the answer path uses (AnswerService.retrieve), re-run for "Why these sources". */
  retrieve(standaloneQuestion: string, scope: string[]): Promise<Retrieval>;
  handoffs: HandoffStore;
  /** Titles of the knowledge base's largest documents in these collections, largest first. */
  topics(collections: string[], max: number): Promise<string[]>;
  defaultScope: string[];
}

const ID = /^[A-Za-z0-9_-]{16}$/;

/**
 * Answer records live in the key-value store (Redis, or the in-process LRU without it), so
 * a button pressed on any process finds what it needs; hand-offs live in PostgreSQL.
 */
export class KbAnswerActions implements AnswerActions {
  constructor(private readonly d: AnswerActionsDeps) {}

  async keep(record: AnswerRecord): Promise<string> {
    const id = randomBytes(12).toString('base64url');
    await this.d.kv.set(`rec:${id}`, JSON.stringify(record), ANSWER_RECORD_TTL_S);
    return id;
  }

  async recall(id: string): Promise<AnswerRecord | undefined> {
    if (!ID.test(id)) return undefined;
    const raw = await this.d.kv.get(`rec:${id}`);
    if (!raw) return undefined;
    try {
      return JSON.parse(raw) as AnswerRecord;
    } catch {
      return undefined;
    }
  }

  async explain(record: AnswerRecord): Promise<Explanation> {
    const scope = record.scope ?? this.d.defaultScope;
    if (!scope.length) return { confidence: 0, sources: [] };
    const r = await this.d.retrieve(record.answer.standaloneQuestion, scope);
    return { confidence: r.confidence, sources: r.chunks.map((c) => rankOf(c, record.answer)) };
  }

  openHandoff(req: HandoffRequest): Promise<Handoff> {
    return this.d.handoffs.open(req);
  }

  resolveHandoff(id: string, by: string): Promise<{ handoff: Handoff; changed: boolean } | undefined> {
    return this.d.handoffs.resolve(id, by);
  }

  async suggestedPrompts(scope?: string[], max = 4): Promise<SuggestedPrompt[]> {
    // `[]`: no knowledge base is assigned to the conversation, so nothing to suggest from.
    if (scope?.length === 0) return [];
    const titles = await this.d.topics(scope ?? this.d.defaultScope, max);
    return titles.map((t) => {
      const title = t.length <= 60 ? t : `${t.slice(0, 59)}…`;
      return { title, message: `What should I know about ${t}?` };
    });
  }
}

function rankOf(c: Retrieval['chunks'][number], answer: Answer) {
  const location = c.chunk.anchor ? `${c.chunk.source}#${c.chunk.anchor}` : c.chunk.source;
  const cited = answer.citations.find((x) => x.location === location);
  const title = c.chunk.heading && c.chunk.heading !== c.chunk.title ? `${c.chunk.title} › ${c.chunk.heading}` : c.chunk.title;
  return { n: cited?.n, title, location, url: cited?.url, bm25Rank: c.bm25Rank, vectorRank: c.vectorRank, fusedScore: c.fusedScore };
}
