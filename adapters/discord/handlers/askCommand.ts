import { MessageFlags, type ChatInputCommandInteraction } from 'discord.js';
import type { ConversationKey } from '../../../src/assistant/types.ts';
import { askConversation } from '../conversations.ts';
import { plainQuestion } from '../questionText.ts';
import { renderAnswer } from '../render.ts';
import { resolveScope } from '../scope.ts';
import { interactionReply, StreamedReply } from '../streamedReply.ts';
import { draftPacer, handoffConfigured, keepRecord, type DiscordHandlerContext } from './context.ts';
import { reportFailure } from './failure.ts';

export const ASK_COMMAND = 'ask';
export const ASK_OPTION = 'question';

/**
 * `/ask question`: acknowledge at once (Discord allows 3 seconds), then answer by editing
 * the deferred reply; extra chunks of a long answer go out as follow-ups. With streaming on,
 * the reply shows the answer as the model writes it (edits paced by the core's DraftPacer). The answer starts
 * a conversation: a reply to it, or a thread started from it, is a follow-up.
 */
export async function handleAskCommand(ctx: DiscordHandlerContext, interaction: ChatInputCommandInteraction): Promise<void> {
  const privately = Boolean(ctx.replyPrivately);
  const question = plainQuestion(interaction.options.getString(ASK_OPTION, true));
  const channel = interaction.channel;
  const target = { channelId: interaction.channelId, parentId: channel?.isThread() ? channel.parentId : null, guildId: interaction.guildId };
  const { scope, filter } = resolveScope(ctx, target);
  // Before "is thinking…": a question turned away gets only the reason, and only the asker sees it.
  try {
    await ctx.assistant.admit({ question, user: `discord:${interaction.user.id}`, scope });
  } catch (err) {
    const content = reportFailure(ctx.logger, err, { interaction: interaction.id, channel: interaction.channelId });
    await interaction.reply({ content, flags: MessageFlags.Ephemeral }).catch((e: unknown) => ctx.logger.warn({ err: e, interaction: interaction.id }, 'discord: could not say why /ask was turned away'));
    return;
  }
  try {
    await interaction.deferReply(privately ? { flags: MessageFlags.Ephemeral } : {});
  } catch (err) {
    // Expired, or already acknowledged by another process: nothing more can be sent.
    ctx.logger.warn({ err, interaction: interaction.id }, 'discord: could not acknowledge /ask');
    return;
  }
  let delivered = false;
  // The deferred reply grows as the model writes (streaming on), then becomes the answer.
  const reply = new StreamedReply(interactionReply(interaction, privately));
  const pacer = draftPacer(ctx, reply);
  try {
    // A private answer has no message others see: the asker's private answers in this channel
    // are one conversation. Otherwise the deferred reply, which the answer replaces, keys it.
    const conversation: ConversationKey = privately
      ? { platform: 'discord', channel: interaction.channelId, thread: `private:${interaction.user.id}` }
      : askConversation(interaction, (await interaction.fetchReply()).id);
    if (channel?.isThread() && !privately) ctx.conversations.remember(channel.id);
    const answer = await ctx.assistant.answer({ question, user: `discord:${interaction.user.id}`, conversation, scope, filter, onDraft: pacer && ((text) => pacer.push(text)), admitted: true });
    const recordId = await keepRecord(ctx, { platform: 'discord', question, answer, asker: interaction.user.id, channel: interaction.channelId, scope, conversation });
    await pacer?.settle();
    await reply.show(renderAnswer(answer, { recordId, share: privately && Boolean(interaction.guildId), handoff: handoffConfigured(ctx) }));
    delivered = true;
  } catch (err) {
    await pacer?.settle();
    const userMessage = reportFailure(ctx.logger, err, { interaction: interaction.id, channel: interaction.channelId });
    // Never overwrite an answer already shown; add the error after it instead. A draft is replaced.
    const send = delivered ? interaction.followUp({ content: userMessage, ...(privately ? { flags: MessageFlags.Ephemeral } : {}) }) : reply.show([{ content: userMessage, components: [] }]);
    await send.catch((e: unknown) => ctx.logger.error({ err: e }, 'discord: could not send the error message'));
  }
}
