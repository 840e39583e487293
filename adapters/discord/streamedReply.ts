import { MessageFlags, type ChatInputCommandInteraction, type Message, type SendableChannels } from 'discord.js';
import type { RenderedMessage } from './render.ts';

/** How one reply's messages reach Discord: a channel's messages, or an interaction's reply and follow-ups. */
export interface ReplyChannel {
  create(message: RenderedMessage): Promise<Message>;
  edit(sent: Message, message: RenderedMessage): Promise<Message>;
  remove(sent: Message): Promise<void>;
}

export function channelReply(target: SendableChannels): ReplyChannel {
  return {
    create: (m) => target.send(m),
    edit: (sent, m) => sent.edit(m),
    remove: async (sent) => void (await sent.delete()),
  };
}

/**
 * A slash command's answer: the deferred reply is its first message, follow-ups the rest
 * (ephemeral when the reply is); each is edited and deleted through the interaction's webhook.
 */
export function interactionReply(interaction: ChatInputCommandInteraction, ephemeral: boolean): ReplyChannel {
  let original: Message | undefined;
  return {
    create: async (m) => {
      if (original) return interaction.followUp(ephemeral ? { ...m, flags: MessageFlags.Ephemeral } : m);
      original = await interaction.editReply(m);
      return original;
    },
    edit: (sent, m) => interaction.editReply(sent.id === original?.id ? m : { ...m, message: sent }),
    remove: (sent) => interaction.deleteReply(sent),
  };
}

/**
 * The messages of one answer as Discord shows them. `show()` makes them exactly the given
 * messages: a message whose content changed is edited, a missing one is sent, a surplus one
 * (a long draft whose final answer is shorter) is deleted. Drafts and the final answer are
 * both laid out by the renderer, so a growing draft moves on to a new message before 2,000
 * characters, as the final answer does.
 */
export class StreamedReply {
  private readonly sent: Array<{ message: Message; shown: string }> = [];

  constructor(private readonly channel: ReplyChannel) {}

  get started(): boolean {
    return this.sent.length > 0;
  }

  /** Shows `messages`; resolves to the last message. */
  async show(messages: RenderedMessage[]): Promise<Message | undefined> {
    for (const [i, m] of messages.entries()) {
      const shown = JSON.stringify(m);
      const before = this.sent[i];
      if (!before) this.sent.push({ message: await this.channel.create(m), shown });
      else if (before.shown !== shown) this.sent[i] = { message: await this.channel.edit(before.message, m), shown };
    }
    for (const surplus of this.sent.splice(messages.length)) await this.channel.remove(surplus.message);
    return this.sent.at(-1)?.message;
  }
}

