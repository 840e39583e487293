import type { Turn } from '../answer/types.ts';
import type { ConversationKey } from '../assistant/types.ts';
import type { KeyValueStore } from './keyValueStore.ts';

export interface ThreadMemoryOptions {
  /** Only the last N turns are kept: older ones rarely help rewrite a follow-up. */
  maxTurns: number;
  /** Answers longer than this are cut, so one long answer cannot crowd out the rest. */
  maxCharsPerTurn: number;
  /** Idle threads are forgotten after this; every append starts the clock again. */
  ttlSeconds: number;
}

export function conversationKey(key: ConversationKey): string {
  // Ids are opaque platform strings; encoding keeps a ':' in one from shifting the others.
  return `thread:${key.platform}:${encodeURIComponent(key.channel)}:${encodeURIComponent(key.thread)}`;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

function isTurn(x: unknown): x is Turn {
  return typeof x === 'object' && x !== null && typeof (x as Turn).question === 'string' && typeof (x as Turn).answer === 'string';
}

/**
 * The recent turns of one Slack/Discord thread or CLI session, stored as a JSON array.
 * Appends are read-modify-write: two answers finishing at the same instant in one
 * thread may drop one turn, which only costs a little follow-up context.
 */
export class ThreadMemory {
  constructor(
    private readonly store: KeyValueStore,
    private readonly options: ThreadMemoryOptions,
  ) {}

  async history(key: ConversationKey): Promise<Turn[]> {
    const raw = await this.store.get(conversationKey(key));
    if (raw === undefined) return [];
    try {
      const parsed: unknown = JSON.parse(raw);
      // Anything unexpected (an older format, a hand edit) counts as no history.
      return Array.isArray(parsed) ? parsed.filter(isTurn).slice(-this.options.maxTurns) : [];
    } catch {
      return [];
    }
  }

  async append(key: ConversationKey, turn: Turn): Promise<void> {
    const turns = await this.history(key);
    turns.push({ question: turn.question, answer: truncate(turn.answer, this.options.maxCharsPerTurn) });
    await this.store.set(conversationKey(key), JSON.stringify(turns.slice(-this.options.maxTurns)), this.options.ttlSeconds);
  }

  async clear(key: ConversationKey): Promise<void> {
    await this.store.del([conversationKey(key)]);
  }
}
