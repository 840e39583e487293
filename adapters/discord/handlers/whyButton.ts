import { escapeMarkdown, MessageFlags, type ButtonInteraction } from 'discord.js';
import type { Explanation } from '../../../src/assistant/types.ts';
import { DISCORD_MESSAGE_LIMIT } from '../splitMessage.ts';
import { WHY_PREFIX } from '../render.ts';
import { inertLinks } from '../../inertLinks.ts';
import type { DiscordHandlerContext } from './context.ts';
import { reportFailure } from './failure.ts';
import { recordFor } from './shareButton.ts';

/** The ranks behind an answer, as `kb ask --explain` prints them, in one message. */
export function renderExplanation(e: Explanation): string {
  const lines = e.sources.map((s, i) => {
    const cited = s.n !== undefined ? ` · cited as [${s.n}]` : '';
    return `${i + 1}. **${inertLinks(s.title, escapeMarkdown)}** \`${s.location.replace(/`/g, "'")}\`\n   BM25 rank ${s.bm25Rank ?? '–'} · vector rank ${s.vectorRank ?? '–'} · fused ${s.fusedScore.toFixed(4)}${cited}`;
  });
  const text = [`**Why these sources** (evidence ${e.confidence.toFixed(2)})`, ...lines].join('\n');
  return text.length <= DISCORD_MESSAGE_LIMIT ? text : `${text.slice(0, DISCORD_MESSAGE_LIMIT - 1)}…`;
}

/** "Why these sources": each retrieved source's ranks, shown only to whoever pressed it. */
export async function handleWhyButton(ctx: DiscordHandlerContext, interaction: ButtonInteraction): Promise<void> {
  try {
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  } catch (err) {
    ctx.logger.warn({ err, interaction: interaction.id }, 'discord: could not acknowledge a button');
    return;
  }
  try {
    const { record, actions } = await recordFor(ctx, interaction.customId, WHY_PREFIX);
    await interaction.editReply({ content: renderExplanation(await actions.explain(record)) });
  } catch (err) {
    const content = reportFailure(ctx.logger, err, { interaction: interaction.id, button: 'why' });
    await interaction.editReply({ content }).catch((e: unknown) => ctx.logger.error({ err: e }, 'discord: could not send the error message'));
  }
}
