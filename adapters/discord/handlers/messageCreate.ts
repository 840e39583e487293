import type { Message, SendableChannels } from 'discord.js';
import type { ConversationKey } from '../../../src/assistant/types.ts';
import { failureReport, KbError } from '../../../src/errors.ts';
import { plainQuestion } from '../questionText.ts';
import { renderAnswer, type RenderedMessage } from '../render.ts';
import { resolveScope, type ScopeTarget } from '../scope.ts';
import { channelReply, StreamedReply } from '../streamedReply.ts';
import { startTyping } from '../typing.ts';
import { admit, draftPacer, handleOnce, handoffConfigured, keepRecord, type DiscordHandlerContext } from './context.ts';
import { answerSupportQuestion, supportQuestionOf } from './supportQuestion.ts';

const THREAD_NAME_MAX = 100;

interface Destination {
  target: SendableChannels;
  conversation: ConversationKey;
  scope: ScopeTarget;
}

/**
 * A message the bot should answer: a mention in a guild channel (answered in a new thread
 * started from it), any message in a thread the bot started, answered in, or that starts
 * from its answer, a reply to one of its answers, or a DM.
 * Everything else, including every bot's messages, is ignored.
 */
export async function handleMessageCreate(ctx: DiscordHandlerContext, message: Message): Promise<void> {
  if (message.author.bot || message.webhookId || message.system) return;
  const channel = message.channel;
  if (!channel.isSendable()) return;
  const botId = message.client.user.id;
  const mentioned = message.mentions.users.has(botId);
  const followUp = channel.isThread() && (await ctx.conversations.isOurThread(channel, botId));
  // A reply to one of the bot's answers continues that answer's conversation (a reply that
  // keeps Discord's reply ping also lists the bot in its mentions).
  const repliedTo = !channel.isThread() && !channel.isDMBased() ? await ctx.conversations.repliedBotMessage(message, botId) : undefined;
  const question = stripBotMention(message.content, botId);
  if (!channel.isDMBased() && !mentioned && !followUp && !repliedTo) {
    const supportQuestion = supportQuestionOf(ctx, message, question);
    if (!supportQuestion) return;
    await handleOnce(ctx, `discord:${message.id}`, () =>
      answerSupportQuestion(ctx, message, supportQuestion, async (target, answer, record) => {
        const recordId = await keepRecord(ctx, { ...record, channel: target.id });
        await sendAll(target, renderAnswer(answer, { recordId, handoff: handoffConfigured(ctx) }));
      }, threadName),
    );
    return;
  }

  // Attachments or stickers alone in a conversation are not questions; say nothing.
  if (!question && !mentioned && !repliedTo && !channel.isDMBased()) return;

  await handleOnce(ctx, `discord:${message.id}`, async () => {
    if (!question) {
      await channel.send(new KbError('input/empty_question').userMessage).catch((err: unknown) => ctx.logger.warn({ err }, 'discord: could not send a reply'));
      return;
    }
    // Before a thread is started or typing shown: a question turned away gets only the reason.
    // The scope of where the answer goes: this channel (a thread: its parent, then its server).
    const { scope: admittedScope } = resolveScope(ctx, { channelId: channel.id, parentId: channel.isThread() ? channel.parentId : null, guildId: message.guildId });
    await admit(ctx, { question, user: `discord:${message.author.id}`, scope: admittedScope }, (content) => message.reply({ content }));
    const destination = repliedTo ? await continueFrom(ctx, message, repliedTo, question) : await chooseDestination(ctx, message, question);
    const stopTyping = startTyping(destination.target, ctx.logger);
    // Streaming on: the answer appears as the model writes it, edited at most once per interval.
    const reply = new StreamedReply(channelReply(destination.target));
    const pacer = draftPacer(ctx, reply);
    try {
      const { scope, filter } = resolveScope(ctx, destination.scope);
      const answer = await ctx.assistant.answer({ question, user: `discord:${message.author.id}`, conversation: destination.conversation, scope, filter, onDraft: pacer && ((text) => pacer.push(text)), admitted: true });
      const recordId = await keepRecord(ctx, { platform: 'discord', question, answer, asker: message.author.id, channel: destination.target.id, scope, conversation: destination.conversation });
      await pacer?.settle();
      await reply.show(renderAnswer(answer, { recordId, handoff: handoffConfigured(ctx) }));
      if (destination.target.isThread()) ctx.conversations.remember(destination.target.id);
    } catch (err) {
      await pacer?.settle();
      // A draft already shown is replaced by the failure, so no half answer stays behind.
      await reply.show([{ content: failureReport(err).userMessage }]).catch((e: unknown) => ctx.logger.error({ err: e }, 'discord: could not send the error message'));
      throw err;
    } finally {
      stopTyping();
    }
  });
}

/** Removes mentions of the bot (`<@id>` or `<@!id>`), then every other mention, emoji and ping (`plainQuestion`). */
export function stripBotMention(content: string, botId: string): string {
  return plainQuestion(content.replace(new RegExp(`<@!?${botId}>`, 'g'), ' '));
}

async function chooseDestination(ctx: DiscordHandlerContext, message: Message, question: string): Promise<Destination> {
  const channel = message.channel as SendableChannels;
  if (channel.isDMBased()) {
    return { target: channel, conversation: { platform: 'discord', channel: channel.id, thread: channel.id }, scope: { channelId: channel.id } };
  }
  const guildId = message.guildId;
  if (channel.isThread()) {
    const parentId = channel.parentId ?? channel.id;
    return { target: channel, conversation: { platform: 'discord', channel: parentId, thread: channel.id }, scope: { channelId: channel.id, parentId, guildId } };
  }
  try {
    const thread = await message.startThread({ name: threadName(question) });
    ctx.conversations.remember(thread.id);
    return { target: thread, conversation: { platform: 'discord', channel: channel.id, thread: thread.id }, scope: { channelId: channel.id, guildId } };
  } catch (err) {
    // No thread permission (or a channel without threads): answer in the channel itself.
    ctx.logger.warn({ err, channel: channel.id }, 'discord: could not start a thread; answering in the channel');
    return { target: channel, conversation: { platform: 'discord', channel: channel.id, thread: message.id }, scope: { channelId: channel.id, guildId } };
  }
}

/**
 * A reply to the bot's answer: the conversation is keyed by that answer's id, and goes on in
 * a thread started from it (which takes the same id), or in the channel without threads.
 */
async function continueFrom(ctx: DiscordHandlerContext, message: Message, answer: Message, question: string): Promise<Destination> {
  const channel = message.channel as SendableChannels;
  const guildId = message.guildId;
  const conversation: ConversationKey = { platform: 'discord', channel: channel.id, thread: answer.id };
  try {
    const thread = answer.thread ?? (await answer.startThread({ name: threadName(question) }));
    ctx.conversations.remember(thread.id);
    return { target: thread, conversation, scope: { channelId: channel.id, guildId } };
  } catch (err) {
    ctx.logger.warn({ err, channel: channel.id }, 'discord: could not start a thread on the answer; answering in the channel');
    return { target: channel, conversation, scope: { channelId: channel.id, guildId } };
  }
}

export function threadName(question: string): string {
  const name = question.replace(/\s+/g, ' ').trim();
  return name.length <= THREAD_NAME_MAX ? name : `${name.slice(0, THREAD_NAME_MAX - 1)}…`;
}

async function sendAll(target: SendableChannels, messages: RenderedMessage[]): Promise<Message> {
  let last: Message | undefined;
  for (const m of messages) last = await target.send(m);
  if (!last) throw new KbError('internal/unexpected', undefined, { cause: new Error('rendered answer had no messages') });
  return last;
}
