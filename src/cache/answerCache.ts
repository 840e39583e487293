import { createHash } from 'node:crypto';
import type { Answer } from '../answer/types.ts';
import type { KeyValueStore } from './keyValueStore.ts';
import { filterKey, type MetadataFilter } from '../store/metadata.ts';

export interface DocumentRef {
  collection: string;
  source: string;
}

export interface AnswerKeyInput {
  /** The standalone question (after follow-up rewriting), so thread context is in the key. */
  question: string;
  scope: string[];
  /** The metadata filter, when there is one: answers from filtered retrieval are cached apart. */
  filter?: MetadataFilter;
  /**
   * What the answer was computed with: models, prompt versions, thresholds, retrieval
   * settings (answerCacheIdentity in answerSettings.ts). Any change gives new keys.
   */
  identity: string;
  /**
   * A follow-up is answered on less evidence than a fresh question (its topic came from an
   * answered turn), so its answer is not one a fresh question may be served.
   */
  followUp?: boolean;
}

/** Current content hashes, keyed by documentKey(), for the documents asked about. */
export type CurrentHashes = (docs: DocumentRef[]) => Promise<Map<string, string>>;

/** Collection names cannot contain '/', so this is unambiguous. */
export function documentKey(doc: DocumentRef): string {
  return `${doc.collection}/${doc.source}`;
}

/** Questions that differ only in case, spacing or a trailing "?" share one answer. */
export function normaliseQuestion(question: string): string {
  return question
    .normalize('NFKC')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .replace(/[\s?!.,;:…？！。]+$/u, '')
    .trim();
}

function citedDocuments(answer: Answer): DocumentRef[] {
  const seen = new Map<string, DocumentRef>();
  for (const c of answer.citations) seen.set(documentKey(c), { collection: c.collection, source: c.source });
  return [...seen.values()];
}

/**
 * Whole answers, reused only while every document they cite is unchanged: `get` checks
 * each citation's content hash against the store, so a re-ingested document can never
 * be quoted from its old text even if invalidation was missed. Each cited document also
 * keeps a set of the answer keys citing it, so re-ingest can drop exactly those answers.
 */
export class AnswerCache {
  constructor(
    private readonly store: KeyValueStore,
    private readonly options: { refusedTtlSeconds?: number } = {},
  ) {}

  key(input: AnswerKeyInput): string {
    const scope = [...new Set(input.scope)].sort();
    const identity = JSON.stringify([
      normaliseQuestion(input.question),
      scope,
      input.identity,
      ...(input.filter && Object.keys(input.filter).length ? [filterKey(input.filter)] : []),
      ...(input.followUp ? ['follow-up'] : []),
    ]);
    return `ans:${createHash('sha256').update(identity).digest('hex')}`;
  }

  private indexKey(doc: DocumentRef): string {
    return `ansdoc:${documentKey(doc)}`;
  }

  async get(key: string, currentHashes: CurrentHashes): Promise<Answer | undefined> {
    const raw = await this.store.get(key);
    if (raw === undefined) return undefined;
    let answer: Answer;
    try {
      answer = JSON.parse(raw) as Answer;
    } catch {
      await this.store.del([key]);
      return undefined;
    }
    const docs = citedDocuments(answer);
    if (docs.length) {
      const current = await currentHashes(docs);
      const stale = answer.citations.some((c) => current.get(documentKey(c)) !== c.contentHash);
      if (stale) {
        await this.store.del([key]);
        return undefined;
      }
    }
    return { ...answer, cached: true };
  }

  /** Refusals cite nothing, so no hash can expire them: they get a short TTL instead. */
  async set(key: string, answer: Answer, ttlSeconds: number): Promise<void> {
    const docs = citedDocuments(answer);
    const ttl = docs.length ? ttlSeconds : Math.min(ttlSeconds, this.options.refusedTtlSeconds ?? 300);
    // Index first: an answer that exists is then always reachable by invalidateDocuments.
    await Promise.all(docs.map((d) => this.store.sAdd(this.indexKey(d), [key], ttl)));
    // `cached` describes one delivery, not the answer; get() sets it on the way out.
    await this.store.set(key, JSON.stringify({ ...answer, cached: undefined }), ttl);
  }

  /** Deletes every cached answer citing any of `docs` (call after re-ingesting them). */
  async invalidateDocuments(docs: DocumentRef[]): Promise<number> {
    const indexKeys = docs.map((d) => this.indexKey(d));
    const answerKeys = new Set((await Promise.all(indexKeys.map((k) => this.store.sMembers(k)))).flat());
    await this.store.del([...answerKeys, ...indexKeys]);
    return answerKeys.size;
  }
}
