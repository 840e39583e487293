import { Events, type Client } from 'discord.js';
import { HANDOFF_PREFIX, SHARE_PREFIX, WHY_PREFIX } from '../render.ts';
import { ASK_MESSAGE_COMMAND, handleAskAboutMessage } from './askAboutMessage.ts';
import { ASK_COMMAND, handleAskCommand } from './askCommand.ts';
import type { DiscordHandlerContext } from './context.ts';
import { handleFeedbackButton, isFeedbackButton } from './feedbackButton.ts';
import { handleHandoffButton, handleResolveButton, RESOLVE_PREFIX } from './handoffButton.ts';
import { handleMessageCreate } from './messageCreate.ts';
import { handleShareButton } from './shareButton.ts';
import { handleWhyButton } from './whyButton.ts';

/** Wires the gateway events to the handlers; a handler's own failure is logged, never thrown into discord.js. */
export function registerHandlers(client: Client, ctx: DiscordHandlerContext): void {
  const guard = (what: string, work: Promise<void>) => {
    work.catch((err: unknown) => ctx.logger.error({ err }, `discord: ${what} handler failed`));
  };
  client.on(Events.MessageCreate, (message) => guard('message', handleMessageCreate(ctx, message)));
  client.on(Events.InteractionCreate, (interaction) => {
    if (interaction.isChatInputCommand() && interaction.commandName === ASK_COMMAND) {
      guard('/ask', handleAskCommand(ctx, interaction));
    } else if (interaction.isMessageContextMenuCommand() && interaction.commandName === ASK_MESSAGE_COMMAND) {
      guard('message command', handleAskAboutMessage(ctx, interaction));
    } else if (interaction.isButton() && isFeedbackButton(interaction.customId)) {
      guard('feedback', handleFeedbackButton(ctx, interaction));
    } else if (interaction.isButton() && interaction.customId.startsWith(SHARE_PREFIX)) {
      guard('share', handleShareButton(ctx, interaction));
    } else if (interaction.isButton() && interaction.customId.startsWith(WHY_PREFIX)) {
      guard('why', handleWhyButton(ctx, interaction));
    } else if (interaction.isButton() && interaction.customId.startsWith(HANDOFF_PREFIX)) {
      guard('hand-off', handleHandoffButton(ctx, interaction));
    } else if (interaction.isButton() && interaction.customId.startsWith(RESOLVE_PREFIX)) {
      guard('resolve', handleResolveButton(ctx, interaction));
    }
  });
}
