import type { AnyThreadChannel, ChatInputCommandInteraction, Message } from 'discord.js';
import { LRUCache } from 'lru-cache';
import type { ConversationKey } from '../../src/assistant/types.ts';
import type { Logger } from '../../src/logger.ts';

/**
 * Which conversations the bot is part of, decided from Discord itself (so any process, or
 * one restarted, decides the same way); the caches only save REST calls.
 *
 * The key of a conversation the bot's answer message starts is that message's id. A thread
 * started from a message takes the message's id on Discord, so a thread someone opens on
 * an `/ask` answer, and the thread the bot opens when someone replies to it, both continue
 * the conversation under the same key.
 */
export class Conversations {
  /** Threads that are ours: the bot started them, answered in them, or they start from its message. */
  private readonly ours = new LRUCache<string, true>({ max: 10_000 });
  private readonly notOurs = new LRUCache<string, true>({ max: 10_000, ttl: 5 * 60_000 });

  constructor(private readonly logger: Logger) {}

  remember(threadId: string): void {
    this.ours.set(threadId, true);
    this.notOurs.delete(threadId);
  }

  has(threadId: string): boolean {
    return this.ours.has(threadId);
  }

  /** True when later messages in this thread are follow-ups. */
  async isOurThread(thread: AnyThreadChannel, botId: string): Promise<boolean> {
    if (thread.ownerId === botId || this.ours.has(thread.id)) return true;
    if (this.notOurs.has(thread.id)) return false;
    const starter = await thread.fetchStarterMessage().catch((err: unknown) => {
      this.logger.debug({ err, thread: thread.id }, 'discord: no starter message for the thread');
      return null;
    });
    const ours = starter?.author.id === botId;
    if (ours) this.remember(thread.id);
    else this.notOurs.set(thread.id, true);
    return ours;
  }

  /** The bot's message this one replies to, if it replies to one. */
  async repliedBotMessage(message: Message, botId: string): Promise<Message | undefined> {
    if (!message.reference?.messageId) return undefined;
    try {
      const ref = await message.fetchReference();
      return ref.author.id === botId ? ref : undefined;
    } catch (err) {
      this.logger.debug({ err, message: message.id }, 'discord: could not fetch the message replied to');
      return undefined;
    }
  }
}

/**
 * The conversation an `/ask` answer belongs to: inside a thread, the thread; in a DM, the
 * DM's running conversation; in a channel, the answer message itself (see Conversations).
 */
export function askConversation(interaction: ChatInputCommandInteraction, answerMessageId: string): ConversationKey {
  const channel = interaction.channel;
  if (!interaction.guildId) return { platform: 'discord', channel: interaction.channelId, thread: interaction.channelId };
  if (channel?.isThread()) return { platform: 'discord', channel: channel.parentId ?? channel.id, thread: channel.id };
  return { platform: 'discord', channel: interaction.channelId, thread: answerMessageId };
}
