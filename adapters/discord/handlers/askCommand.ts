import type { ChatInputCommandInteraction, Message } from 'discord.js';
import { askConversation } from '../conversations.ts';
import { renderAnswer } from '../render.ts';
import { resolveScope } from '../scope.ts';
import type { DiscordHandlerContext } from './context.ts';
import { reportFailure } from './failure.ts';

export const ASK_COMMAND = 'ask';
export const ASK_OPTION = 'question';

/**
 * `/ask question`: acknowledge at once (Discord allows 3 seconds), then answer by editing
 * the deferred reply; extra chunks of a long answer go out as follow-ups. The answer starts
 * a conversation: a reply to it, or a thread started from it, is a follow-up.
 */
export async function handleAskCommand(ctx: DiscordHandlerContext, interaction: ChatInputCommandInteraction): Promise<void> {
  try {
    await interaction.deferReply();
  } catch (err) {
    // Expired, or already acknowledged by another process: nothing more can be sent.
    ctx.logger.warn({ err, interaction: interaction.id }, 'discord: could not acknowledge /ask');
    return;
  }
  const question = interaction.options.getString(ASK_OPTION, true).trim();
  const channel = interaction.channel;
  let delivered = false;
  try {
    // The deferred reply is the message the answer replaces; its id keys the conversation.
    const conversation = askConversation(interaction, (await interaction.fetchReply()).id);
    if (channel?.isThread()) ctx.conversations.remember(channel.id);
    const answer = await ctx.assistant.answer({
      question,
      user: `discord:${interaction.user.id}`,
      conversation,
      scope: resolveScope(ctx.channelScopes, {
        channelId: interaction.channelId,
        parentId: channel?.isThread() ? channel.parentId : null,
        guildId: interaction.guildId,
      }),
    });
    const [first, ...rest] = renderAnswer(answer);
    let last: Message = await interaction.editReply(first!);
    delivered = true;
    for (const m of rest) last = await interaction.followUp(m);
    ctx.answered.remember(last.id, question, answer);
  } catch (err) {
    const userMessage = reportFailure(ctx.logger, err, { interaction: interaction.id, channel: interaction.channelId });
    // Never overwrite an answer already shown; add the error after it instead.
    const send = delivered ? interaction.followUp({ content: userMessage }) : interaction.editReply({ content: userMessage, embeds: [], components: [] });
    await send.catch((e: unknown) => ctx.logger.error({ err: e }, 'discord: could not send the error message'));
  }
}
