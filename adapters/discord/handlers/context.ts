import { LRUCache } from 'lru-cache';
import type { Assistant } from '../../../src/assistant/types.ts';
import type { Logger } from '../../../src/logger.ts';
import { AnsweredMessages } from '../answeredMessages.ts';

/** Everything the handlers need; built once by createDiscordBot, passed to each handler. */
export interface DiscordHandlerContext {
  assistant: Assistant;
  logger: Logger;
  channelScopes: Record<string, string[]>;
  answered: AnsweredMessages;
  /** Threads the bot answered in (beyond those it created): later messages there are follow-ups. */
  answeredThreads: LRUCache<string, true>;
}

export function createHandlerContext(deps: { assistant: Assistant; logger: Logger; channelScopes: Record<string, string[]> }): DiscordHandlerContext {
  return { ...deps, answered: new AnsweredMessages(), answeredThreads: new LRUCache<string, true>({ max: 10_000 }) };
}
