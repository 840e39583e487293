import type { Assistant } from '../../../src/assistant/types.ts';
import type { SupportRules } from '../../../src/config.ts';
import type { Logger } from '../../../src/logger.ts';
import { AnsweredMessages } from '../answeredMessages.ts';
import { Conversations } from '../conversations.ts';

/** Everything the handlers need; built once by createDiscordBot, passed to each handler. */
export interface DiscordHandlerContext {
  assistant: Assistant;
  logger: Logger;
  channelScopes: Record<string, string[]>;
  /** Channels (text or forum) whose new questions are answered without a mention. */
  supportChannels?: string[];
  support?: SupportRules;
  answered: AnsweredMessages;
  /** Threads and replies that continue a conversation the bot is part of. */
  conversations: Conversations;
}

export function createHandlerContext(deps: Pick<DiscordHandlerContext, 'assistant' | 'logger' | 'channelScopes' | 'supportChannels' | 'support'>): DiscordHandlerContext {
  return { ...deps, answered: new AnsweredMessages(), conversations: new Conversations(deps.logger) };
}
