import { createHmac } from 'node:crypto';
import type { Logger } from '../logger.ts';
import type { InteractionStore } from '../store/interactionStore.ts';
import type { InteractionEvent, InteractionRecorder, InteractionRow } from './types.ts';

export interface RecorderOptions {
  store: InteractionStore;
  /** The HMAC key user and conversation ids are hashed with. */
  hashKey: string;
  retentionDays: number;
  /** The collections a question without a scope searched. */
  defaultScope: string[];
  logger: Logger;
  /** How long a finished question waits to be written with the next ones (default 1 s). */
  flushDelayMs?: number;
  /** Rows kept while the database is slow or down; beyond this the oldest are dropped. */
  maxBuffered?: number;
}

const MAX_TEXT = 4000;
const BATCH = 500;
const CLOSE_WAIT_MS = 3000;
const RETENTION_EVERY_MS = 60 * 60 * 1000;

const clip = (s: string | undefined, n = MAX_TEXT) => (s === undefined ? null : s.length > n ? s.slice(0, n) : s);

/** `slack:U123` → `slack`; a conversation's platform wins. */
export function platformOf(e: InteractionEvent): string {
  return e.request.conversation?.platform ?? (/^([a-z]+):/.exec(e.request.user)?.[1] ?? 'unknown');
}

/**
 * Records finished questions off the answer's path: `record` only appends the event to a
 * buffer; a timer hashes the ids and writes the buffer in one INSERT. A failed write is logged and its rows
 * dropped, so the database being slow or down never delays or fails an answer.
 */
export class BufferedInteractionRecorder implements InteractionRecorder {
  /** Events as they came; hashing and shaping them into rows waits for the write. */
  private buffer: InteractionEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private retention: NodeJS.Timeout | undefined;
  private dropped = 0;
  private readonly flushDelayMs: number;
  private readonly maxBuffered: number;

  constructor(private readonly o: RecorderOptions) {
    this.flushDelayMs = o.flushDelayMs ?? 1000;
    this.maxBuffered = o.maxBuffered ?? 5000;
  }

  /** A keyed hash: the same id always maps to the same value, which cannot be reversed without the key. */
  hash(id: string): string {
    return createHmac('sha256', this.o.hashKey).update(id).digest('hex').slice(0, 32);
  }

  record(e: InteractionEvent): void {
    this.buffer.push(e);
    if (this.buffer.length > this.maxBuffered) this.dropped += this.buffer.splice(0, this.buffer.length - this.maxBuffered).length;
    this.timer ??= setTimeout(() => void this.flush(), this.flushDelayMs);
  }

  recordFeedback(f: { platform: string; user: string; question: string; vote: 'up' | 'down' }): void {
    if (!f.question) return;
    const userHash = this.hash(`${f.platform}:${f.user}`);
    void this.flush()
      .then(() => this.o.store.markFeedback(f.platform, userHash, f.question, f.vote))
      .catch((err: unknown) => this.o.logger.warn({ err }, 'could not mark the interaction a vote was given to'));
  }

  /** Writes everything buffered so far; resolves when done (never rejects). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.writing ??= this.writeAll().finally(() => (this.writing = undefined));
    return this.writing;
  }

  private async writeAll(): Promise<void> {
    while (this.buffer.length) {
      const events = this.buffer.splice(0, BATCH);
      try {
        await this.o.store.insert(events.map((e) => this.toRow(e)));
      } catch (err) {
        this.dropped += events.length;
        this.o.logger.warn({ err, dropped: events.length }, 'could not record interactions; dropped them');
      }
    }
    if (this.dropped) {
      this.o.logger.warn({ dropped: this.dropped }, 'interactions dropped (buffer full or database unavailable)');
      this.dropped = 0;
    }
  }

  /** Deletes rows past the retention now and every hour; for long-running processes (kb serve, kb admin). */
  startRetention(): void {
    if (this.retention) return;
    const sweep = () =>
      void this.o.store
        .deleteOlderThan(this.o.retentionDays)
        .then((n) => n && this.o.logger.info({ deleted: n, retentionDays: this.o.retentionDays }, 'deleted interactions past the retention'))
        .catch((err: unknown) => this.o.logger.warn({ err }, 'could not delete old interactions; trying again in an hour'));
    sweep();
    this.retention = setInterval(sweep, RETENTION_EVERY_MS);
    this.retention.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.retention);
    this.retention = undefined;
    let timeout: NodeJS.Timeout | undefined;
    await Promise.race([this.flush(), new Promise<void>((r) => (timeout = setTimeout(r, CLOSE_WAIT_MS)))]);
    clearTimeout(timeout);
  }

  private toRow(e: InteractionEvent): InteractionRow {
    const { request: req, answer: a } = e;
    const c = req.conversation;
    return {
      created_at: e.at.toISOString(),
      platform: platformOf(e),
      conversation_hash: c ? this.hash(`${c.platform}:${c.channel}:${c.thread}`) : null,
      user_hash: this.hash(req.user),
      collections: req.scope ? [...req.scope].sort() : this.o.defaultScope,
      question: clip(typeof req.question === 'string' ? req.question : '') ?? '',
      standalone_question: clip(a?.standaloneQuestion ?? (typeof req.question === 'string' ? req.question : '')) ?? '',
      outcome: e.outcome,
      confidence: a ? a.confidence : null,
      answer: clip(a?.text),
      sources: (a?.citations ?? []).slice(0, 20).map((x) => ({ title: x.title, collection: x.collection, source: x.source, location: x.location, url: x.url })),
      latency_ms: e.latencyMs,
      cache_hit: Boolean(a?.cached),
      degraded: Boolean(a?.note),
    };
  }
}
