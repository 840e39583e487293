import { MessageFlags, type ButtonInteraction } from 'discord.js';
import type { FeedbackRecord } from '../../../src/assistant/types.ts';
import { FEEDBACK_DOWN, FEEDBACK_UP } from '../render.ts';
import type { AnsweredContext } from '../answeredMessages.ts';
import type { DiscordHandlerContext } from './context.ts';
import { reportFailure } from './failure.ts';

const THANKS = 'Thanks for the feedback!';

/** 👍/👎 under an answer: record the vote, acknowledge only to the voter. */
export async function handleFeedbackButton(ctx: DiscordHandlerContext, interaction: ButtonInteraction): Promise<void> {
  const vote: FeedbackRecord['vote'] | undefined = interaction.customId === FEEDBACK_UP ? 'up' : interaction.customId === FEEDBACK_DOWN ? 'down' : undefined;
  if (!vote) return;
  try {
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  } catch (err) {
    ctx.logger.warn({ err, interaction: interaction.id }, 'discord: could not acknowledge a feedback vote');
    return;
  }
  const context = ctx.answered.get(interaction.message.id) ?? contextFromMessage(interaction);
  try {
    await ctx.assistant.recordFeedback({ platform: 'discord', vote, ...context, user: interaction.user.id, channel: interaction.channelId });
    await interaction.editReply({ content: THANKS });
  } catch (err) {
    const userMessage = reportFailure(ctx.logger, err, { interaction: interaction.id, vote });
    await interaction.editReply({ content: userMessage }).catch((e: unknown) => ctx.logger.error({ err: e }, 'discord: could not send the error message'));
  }
}

/** A vote on a message this process did not answer (older, or another instance): the message's own text. */
function contextFromMessage(interaction: ButtonInteraction): AnsweredContext {
  return { question: '', answer: interaction.message.content, citations: [] };
}
