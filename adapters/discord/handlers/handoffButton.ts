import { ActionRowBuilder, ButtonBuilder, ButtonStyle, escapeMarkdown, MessageFlags, type ButtonInteraction } from 'discord.js';
import { ANSWER_RECORD_TTL_S } from '../../../src/assistant/answerActions.ts';
import type { Handoff } from '../../../src/assistant/types.ts';
import { KbError } from '../../../src/errors.ts';
import { HANDOFF_PREFIX } from '../render.ts';
import { DISCORD_MESSAGE_LIMIT } from '../splitMessage.ts';
import { inertLinks } from '../../inertLinks.ts';
import type { DiscordHandlerContext } from './context.ts';
import { reportFailure } from './failure.ts';
import { recordFor, replyPrivately } from './shareButton.ts';

export const RESOLVE_PREFIX = 'kb:resolved:';

/** The hand-off message: the one place the bot pings anyone, and then only the responders. */
export function renderHandoff(h: Handoff, responders: { users: string[]; roles: string[] }) {
  const who = [...responders.roles.map((r) => `<@&${r}>`), ...responders.users.map((u) => `<@${u}>`)].join(' ');
  const sources = h.citations.length ? h.citations.map((c) => `• [${c.n}] ${inertLinks(c.title, escapeMarkdown)}${c.url ? ` <${c.url}>` : ` \`${c.location.replace(/`/g, "'")}\``}`).join('\n') : '• none: the knowledge base had nothing solid';
  const question = escapeMarkdown(h.question.length > 1200 ? `${h.question.slice(0, 1199)}…` : h.question);
  let content = `${who} a human is needed for this question:\n> ${question.replace(/\n/g, '\n> ')}\n**Sources tried**\n${sources}`;
  if (content.length > DISCORD_MESSAGE_LIMIT) content = `${content.slice(0, DISCORD_MESSAGE_LIMIT - 1)}…`;
  return {
    content,
    // Exactly the responders may be pinged; @everyone, @here, other roles and users never.
    allowedMentions: { parse: [], users: responders.users, roles: responders.roles, repliedUser: false },
    components: [new ActionRowBuilder<ButtonBuilder>().addComponents(new ButtonBuilder().setCustomId(`${RESOLVE_PREFIX}${h.id}`).setLabel('Resolved').setStyle(ButtonStyle.Success))],
  };
}

/**
 * "I need a human", pressed by the asker: records the hand-off and posts, where the answer
 * is (its thread, or as a reply to it), a message mentioning exactly the responders with the
 * question and the sources tried. Once per answer.
 */
export async function handleHandoffButton(ctx: DiscordHandlerContext, interaction: ButtonInteraction): Promise<void> {
  const claimKey = `discord:handoff:${interaction.customId.slice(HANDOFF_PREFIX.length)}`;
  let claimed = false;
  try {
    const { record, actions } = await recordFor(ctx, interaction.customId, HANDOFF_PREFIX);
    const responders = ctx.handoff ?? { users: [], roles: [] };
    if (!responders.users.length && !responders.roles.length) throw new KbError('input/invalid_argument', 'No one is set up to take questions from the bot here.');
    if (record.asker !== interaction.user.id) throw new KbError('input/invalid_argument', 'Only the person who asked can ask for a human.');
    claimed = await ctx.assistant.claimEvent(claimKey, ANSWER_RECORD_TTL_S);
    if (!claimed) return replyPrivately(ctx, interaction, 'A human has already been asked about this answer.');
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    const channel = interaction.channel;
    if (!channel?.isSendable()) throw new KbError('input/invalid_argument', 'I cannot post in this channel.');
    const onPublicMessage = !interaction.message.flags.has(MessageFlags.Ephemeral);
    const handoff = await actions.openHandoff({
      platform: 'discord',
      channel: channel.id,
      thread: onPublicMessage ? interaction.message.id : undefined,
      asker: record.asker,
      question: record.question,
      citations: record.answer.citations.map(({ n, title, location, url }) => ({ n, title, location, url })),
      responders: [...responders.roles.map((r) => `role:${r}`), ...responders.users.map((u) => `user:${u}`)],
    });
    const message = renderHandoff(handoff, responders);
    await channel.send(onPublicMessage && !channel.isThread() ? { ...message, reply: { messageReference: interaction.message.id, failIfNotExists: false } } : message);
    await interaction.editReply({ content: 'I have asked a human to help; they will reply here.' });
  } catch (err) {
    if (claimed) await ctx.assistant.releaseEvent(claimKey).catch(() => undefined);
    await replyPrivately(ctx, interaction, reportFailure(ctx.logger, err, { interaction: interaction.id, button: 'handoff' }));
  }
}

/** "Resolved" on a hand-off message: closes it and replaces the button with who resolved it. */
export async function handleResolveButton(ctx: DiscordHandlerContext, interaction: ButtonInteraction): Promise<void> {
  try {
    const id = interaction.customId.slice(RESOLVE_PREFIX.length);
    const result = ctx.actions ? await ctx.actions.resolveHandoff(id, interaction.user.id) : undefined;
    if (!result) throw new KbError('input/invalid_argument', 'That hand-off no longer exists.');
    if (!result.changed) return replyPrivately(ctx, interaction, `Already resolved by <@${result.handoff.resolvedBy ?? ''}>.`);
    await interaction.update({ content: `${interaction.message.content}\n\n✅ Resolved by <@${interaction.user.id}>`, components: [], allowedMentions: { parse: [] } });
  } catch (err) {
    await replyPrivately(ctx, interaction, reportFailure(ctx.logger, err, { interaction: interaction.id, button: 'resolve' }));
  }
}
