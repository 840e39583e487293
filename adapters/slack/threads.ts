import type { webApi } from '@slack/bolt';

interface Entry {
  answered: boolean;
  expires: number;
}

/**
 * Remembers which threads this bot answered, so a later reply in such a thread is a
 * follow-up even without a mention. A thread answered by another process (or before a
 * restart) is recognised by asking Slack once (conversations.replies); negative answers
 * are cached briefly so busy channels don't cost an API call per message.
 */
export class AnsweredThreads {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly options: { maxEntries?: number; ttlMs?: number; negativeTtlMs?: number; now?: () => number } = {},
  ) {}

  private get now(): number {
    return (this.options.now ?? Date.now)();
  }

  private set(key: string, answered: boolean): void {
    const ttl = answered ? (this.options.ttlMs ?? 24 * 3600_000) : (this.options.negativeTtlMs ?? 5 * 60_000);
    this.entries.delete(key);
    this.entries.set(key, { answered, expires: this.now + ttl });
    const max = this.options.maxEntries ?? 10_000;
    // Map iteration is insertion order, so the first key is the oldest.
    while (this.entries.size > max) this.entries.delete(this.entries.keys().next().value as string);
  }

  remember(channel: string, threadTs: string): void {
    this.set(`${channel}:${threadTs}`, true);
  }

  async isAnswered(client: webApi.WebClient, channel: string, threadTs: string, bot: { botId?: string; botUserId?: string }): Promise<boolean> {
    const key = `${channel}:${threadTs}`;
    const hit = this.entries.get(key);
    if (hit && hit.expires > this.now) return hit.answered;
    const res = await client.conversations.replies({ channel, ts: threadTs, limit: 200 });
    const answered = (res.messages ?? []).some((m) => (bot.botId && m.bot_id === bot.botId) || (bot.botUserId && m.user === bot.botUserId));
    this.set(key, answered);
    return answered;
  }
}
