import { MessageFlags, type ButtonInteraction } from 'discord.js';
import { ANSWER_RECORD_TTL_S } from '../../../src/assistant/answerActions.ts';
import type { AnswerActions, AnswerRecord } from '../../../src/assistant/types.ts';
import { KbError } from '../../../src/errors.ts';
import { answerButtons, renderAnswer, SHARE_PREFIX } from '../render.ts';
import type { DiscordHandlerContext } from './context.ts';
import { reportFailure } from './failure.ts';

export const EXPIRED = 'That button has expired; please ask again.';

/** The record a button's custom id refers to (`prefix` + id), or a KbError the presser sees. */
export async function recordFor(ctx: DiscordHandlerContext, customId: string, prefix: string): Promise<{ id: string; record: AnswerRecord; actions: AnswerActions }> {
  const id = customId.slice(prefix.length);
  const { actions } = ctx;
  const record = actions ? await actions.recall(id) : undefined;
  if (!actions || !record) throw new KbError('input/invalid_argument', EXPIRED);
  return { id, record, actions };
}

/** Tells only the presser, and logs the cause of a failure. */
export async function replyPrivately(ctx: DiscordHandlerContext, interaction: ButtonInteraction, content: string): Promise<void> {
  const send = interaction.deferred || interaction.replied ? interaction.followUp({ content, flags: MessageFlags.Ephemeral }) : interaction.reply({ content, flags: MessageFlags.Ephemeral });
  await send.catch((err: unknown) => ctx.logger.error({ err }, 'discord: could not reply to a button'));
}

/**
 * "Share in channel" under a private /ask answer: posts it in the channel once, attributed
 * to the asker (only the asker may press it), and drops the button from the private copy.
 */
export async function handleShareButton(ctx: DiscordHandlerContext, interaction: ButtonInteraction): Promise<void> {
  const claimKey = `discord:share:${interaction.customId.slice(SHARE_PREFIX.length)}`;
  let claimed = false;
  try {
    const { id, record } = await recordFor(ctx, interaction.customId, SHARE_PREFIX);
    if (record.asker !== interaction.user.id) throw new KbError('input/invalid_argument', 'Only the person who asked can share this answer.');
    claimed = await ctx.assistant.claimEvent(claimKey, ANSWER_RECORD_TTL_S);
    if (!claimed) return replyPrivately(ctx, interaction, 'This answer has already been shared in the channel.');
    const channel = interaction.channel;
    if (!channel?.isSendable()) throw new KbError('input/invalid_argument', 'I cannot post in this channel.');
    // The private copy loses its Share button first, so a second press cannot race the post.
    await interaction.update({ components: [answerButtons(record.answer, { recordId: id })] });
    for (const m of renderAnswer(record.answer, { recordId: id, feedbackOnly: true, heading: `Shared by <@${record.asker}>: ${record.question}` })) await channel.send(m);
    await interaction.followUp({ content: 'Shared in the channel. ✅', flags: MessageFlags.Ephemeral });
  } catch (err) {
    if (claimed) await ctx.assistant.releaseEvent(claimKey).catch(() => undefined);
    await replyPrivately(ctx, interaction, reportFailure(ctx.logger, err, { interaction: interaction.id, button: 'share' }));
  }
}
