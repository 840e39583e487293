import { MessageFlags, type ButtonInteraction } from 'discord.js';
import { feedbackFor } from '../../../src/assistant/delivery.ts';
import type { FeedbackRecord } from '../../../src/assistant/types.ts';
import { KbError } from '../../../src/errors.ts';
import { FEEDBACK_DOWN, FEEDBACK_UP } from '../render.ts';
import type { DiscordHandlerContext } from './context.ts';
import { reportFailure } from './failure.ts';
import { EXPIRED } from './shareButton.ts';

const THANKS = 'Thanks for the feedback!';

/** `feedback:up`, `feedback:down`, each optionally followed by `:` and an answer id. */
export function isFeedbackButton(customId: string): boolean {
  return voteOf(customId) !== undefined;
}

function voteOf(customId: string): { vote: FeedbackRecord['vote']; id?: string } | undefined {
  for (const [prefix, vote] of [[FEEDBACK_UP, 'up'], [FEEDBACK_DOWN, 'down']] as const) {
    if (customId === prefix) return { vote };
    if (customId.startsWith(`${prefix}:`)) return { vote, id: customId.slice(prefix.length + 1) };
  }
  return undefined;
}

/**
 * 👍/👎 under an answer: the button carries the answer's id, which the core resolves to the
 * question, answer and sources (on any process); acknowledged only to the voter.
 */
export async function handleFeedbackButton(ctx: DiscordHandlerContext, interaction: ButtonInteraction): Promise<void> {
  const button = voteOf(interaction.customId);
  if (!button) return;
  try {
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  } catch (err) {
    ctx.logger.warn({ err, interaction: interaction.id }, 'discord: could not acknowledge a feedback vote');
    return;
  }
  const voter = { user: interaction.user.id, channel: interaction.channelId };
  try {
    const feedback = button.id ? await feedbackFor(ctx.actions, button.id, button.vote, voter) : legacyFeedback(interaction, button.vote);
    if (!feedback) throw new KbError('input/invalid_argument', EXPIRED);
    await ctx.assistant.recordFeedback(feedback);
    await interaction.editReply({ content: THANKS });
  } catch (err) {
    const userMessage = reportFailure(ctx.logger, err, { interaction: interaction.id, vote: button.vote });
    await interaction.editReply({ content: userMessage }).catch((e: unknown) => ctx.logger.error({ err: e }, 'discord: could not send the error message'));
  }
}

/** A button from before answers carried ids (or from a bot without records): the message's own text. */
function legacyFeedback(interaction: ButtonInteraction, vote: FeedbackRecord['vote']): FeedbackRecord {
  return { platform: 'discord', vote, answerId: `message:${interaction.message.id}`, question: '', answer: interaction.message.content, citations: [], user: interaction.user.id, channel: interaction.channelId };
}
