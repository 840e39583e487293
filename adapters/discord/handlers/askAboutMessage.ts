import { MessageFlags, type MessageContextMenuCommandInteraction, type SendableChannels } from 'discord.js';
import type { DraftPacer } from '../../../src/assistant/draftPacer.ts';
import type { ConversationKey } from '../../../src/assistant/types.ts';
import { renderAnswer } from '../render.ts';
import { resolveScope } from '../scope.ts';
import { channelReply, StreamedReply } from '../streamedReply.ts';
import { draftPacer, handoffConfigured, keepRecord, type DiscordHandlerContext } from './context.ts';
import { reportFailure } from './failure.ts';
import { stripBotMention, threadName } from './messageCreate.ts';

/** The message context-menu command (Apps → "Ask the knowledge base"). */
export const ASK_MESSAGE_COMMAND = 'Ask the knowledge base';

/**
 * Answers the selected message's text in a thread started from it (or in the thread or DM
 * it is in), streamed there when streaming is on; the presser gets a private note pointing there.
 */
export async function handleAskAboutMessage(ctx: DiscordHandlerContext, interaction: MessageContextMenuCommandInteraction): Promise<void> {
  try {
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  } catch (err) {
    ctx.logger.warn({ err, interaction: interaction.id }, 'discord: could not acknowledge the message command');
    return;
  }
  const target = interaction.targetMessage;
  const question = stripBotMention(target.content, interaction.client.user.id);
  let reply: StreamedReply | undefined;
  let pacer: DraftPacer<string> | undefined;
  try {
    if (!question) return void (await interaction.editReply({ content: 'That message has no text to ask about.' }));
    const channel = target.channel as SendableChannels;
    const parentId = channel.isThread() ? (channel.parentId ?? channel.id) : channel.id;
    const { scope, filter } = resolveScope(ctx, { channelId: channel.id, parentId, guildId: interaction.guildId });
    // Before a thread is started: a question turned away gets only the reason (below, privately).
    await ctx.assistant.admit({ question, user: `discord:${interaction.user.id}`, scope });
    let where: SendableChannels = channel;
    if (!channel.isThread() && !channel.isDMBased()) {
      where = target.thread ?? (await target.startThread({ name: threadName(question) }).catch(() => channel));
    }
    const conversation: ConversationKey = { platform: 'discord', channel: parentId, thread: where.id === channel.id && !channel.isThread() ? target.id : where.id };
    const shown = new StreamedReply(channelReply(where));
    const drafts = draftPacer(ctx, shown);
    [reply, pacer] = [shown, drafts];
    const answer = await ctx.assistant.answer({ question, user: `discord:${interaction.user.id}`, conversation, scope, filter, onDraft: drafts && ((text) => drafts.push(text)), admitted: true });
    const recordId = await keepRecord(ctx, { platform: 'discord', question, answer, asker: interaction.user.id, channel: where.id, scope, conversation });
    await drafts?.settle();
    await shown.show(renderAnswer(answer, { recordId, handoff: handoffConfigured(ctx) }));
    if (where.isThread()) ctx.conversations.remember(where.id);
    await interaction.editReply({ content: `Answered in <#${where.id}>.` });
  } catch (err) {
    await pacer?.settle();
    const content = reportFailure(ctx.logger, err, { interaction: interaction.id, command: 'message' });
    // A draft left in the thread is replaced by the failure.
    if (reply?.started) await reply.show([{ content }]).catch((e: unknown) => ctx.logger.warn({ err: e }, 'discord: could not replace the draft'));
    await interaction.editReply({ content }).catch((e: unknown) => ctx.logger.error({ err: e }, 'discord: could not send the error message'));
  }
}
