import type { AnswerActions, AnswerRecord, Assistant } from '../../../src/assistant/types.ts';
import type { MetadataFilter } from '../../../src/store/metadata.ts';
import type { SupportRules } from '../../../src/config.ts';
import type { Logger } from '../../../src/logger.ts';
import { AnsweredMessages } from '../answeredMessages.ts';
import { Conversations } from '../conversations.ts';

/** Everything the handlers need; built once by createDiscordBot, passed to each handler. */
export interface DiscordHandlerContext {
  assistant: Assistant;
  logger: Logger;
  channelScopes: Record<string, string[]>;
  /** The metadata filter of each scope entry (config.channelFilters). */
  channelFilters?: Record<string, MetadataFilter>;
  /** Channels (text or forum) whose new questions are answered without a mention. */
  supportChannels?: string[];
  support?: SupportRules;
  /** Share, hand-off and "Why these sources" buttons; without it answers carry only 👍/👎. */
  actions?: AnswerActions;
  /** `/ask` answers privately (ephemeral), with "Share in channel". */
  replyPrivately?: boolean;
  /** Whom "I need a human" pings. */
  handoff?: { users: string[]; roles: string[] };
  answered: AnsweredMessages;
  /** Threads and replies that continue a conversation the bot is part of. */
  conversations: Conversations;
}

export function createHandlerContext(deps: Omit<DiscordHandlerContext, 'answered' | 'conversations'>): DiscordHandlerContext {
  return { ...deps, answered: new AnsweredMessages(), conversations: new Conversations(deps.logger) };
}

/** True when "I need a human" has someone to ping. */
export function handoffConfigured(ctx: DiscordHandlerContext): boolean {
  return Boolean(ctx.handoff && (ctx.handoff.users.length || ctx.handoff.roles.length));
}

/** Keeps what the answer's buttons need; without it (or if that fails) they are left off. */
export async function keepRecord(ctx: DiscordHandlerContext, record: AnswerRecord): Promise<string | undefined> {
  if (!ctx.actions) return undefined;
  try {
    return await ctx.actions.keep(record);
  } catch (err) {
    ctx.logger.warn({ err }, 'discord: could not keep the answer record; answering without its buttons');
    return undefined;
  }
}
