import type { Message, SendableChannels } from 'discord.js';
import type { Answer } from '../../../src/answer/types.ts';
import type { AnswerRecord, ConversationKey } from '../../../src/assistant/types.ts';
import { looksLikeQuestion } from '../../supportChannels.ts';
import { resolveScope } from '../scope.ts';
import type { DiscordHandlerContext } from './context.ts';
import { reportFailure } from './failure.ts';

/** What a new message in a support channel is: a top-level message, or a forum post (its thread's starter). */
export function supportQuestionOf(ctx: DiscordHandlerContext, message: Message, botStripped: string): string | undefined {
  const channel = message.channel;
  const supportChannels = ctx.supportChannels ?? [];
  if (channel.isDMBased()) return undefined;
  let question: string | undefined;
  if (!channel.isThread() && supportChannels.includes(channel.id)) question = botStripped;
  // A forum post: the thread is created first, then its starter message, which shares its id.
  else if (channel.isThread() && channel.parentId && supportChannels.includes(channel.parentId) && message.id === channel.id) {
    question = [channel.name, botStripped].filter(Boolean).join('\n\n');
  }
  return question !== undefined && looksLikeQuestion(question, ctx.support) ? question : undefined;
}

/**
 * Answers a support-channel question only when the knowledge base has an answer: in a new
 * thread from the message (or in the forum post). Otherwise a 👀 reaction or nothing, and a
 * failure is only logged; an unasked-for "I don't know" is noise.
 */
export async function answerSupportQuestion(ctx: DiscordHandlerContext, message: Message, question: string, send: (target: SendableChannels, answer: Answer, record: AnswerRecord) => Promise<void>, threadName: (q: string) => string): Promise<void> {
  const channel = message.channel as SendableChannels;
  const inForumPost = channel.isThread();
  const parentId = channel.isThread() ? (channel.parentId ?? channel.id) : channel.id;
  const conversation: ConversationKey = { platform: 'discord', channel: parentId, thread: inForumPost ? channel.id : message.id };
  const { scope, filter } = resolveScope(ctx, { channelId: channel.id, parentId, guildId: message.guildId });
  let answer;
  try {
    answer = await ctx.assistant.answer({ question, user: `discord:${message.author.id}`, conversation, scope, filter });
  } catch (err) {
    reportFailure(ctx.logger, err, { messageId: message.id, channel: channel.id, support: true });
    return;
  }
  if (answer.refused) {
    ctx.logger.info({ channel: channel.id }, 'discord: support question without an answer; staying quiet');
    if (ctx.support?.reactWhenUnsure ?? true) await message.react('👀').catch((err: unknown) => ctx.logger.warn({ err }, 'discord: could not react'));
    return;
  }
  let target: SendableChannels = channel;
  if (!inForumPost) {
    try {
      target = await message.startThread({ name: threadName(question) });
    } catch (err) {
      ctx.logger.warn({ err, channel: channel.id }, 'discord: could not start a thread; answering in the channel');
    }
  }
  if (target.isThread()) ctx.conversations.remember(target.id);
  await send(target, answer, { platform: 'discord', question, answer, asker: message.author.id, channel: target.id, scope, conversation });
}
