import { conversationScope, type ConversationScope } from '../../src/assistant/channelScope.ts';
import type { StreamingOptions } from '../../src/assistant/draftPacer.ts';
import type { AnswerActions, Assistant } from '../../src/assistant/types.ts';
import type { Config } from '../../src/config.ts';
import type { Logger } from '../../src/logger.ts';
import type { AnsweredThreads } from './threads.ts';

export type SlackConfig = NonNullable<Config['slack']> & { port: number; host?: string };

/** What every listener receives: the core's Assistant, the Slack config, a logger. */
export interface ListenerDeps {
  assistant: Assistant;
  /** Share, hand-off and "Why these sources" buttons; without it answers carry only 👍/👎. */
  actions?: AnswerActions;
  config: SlackConfig;
  logger: Logger;
  /** Threads this bot has answered, so later replies there count as follow-ups. */
  threads: AnsweredThreads;
  /** Answers grow as the model writes them; without it they appear when complete. */
  streaming?: StreamingOptions;
}

/**
 * What a Slack conversation may search (SLACK_CHANNEL_SCOPES): its channel's entry, else the
 * map's "*" entry, else nothing once a map is configured (DMs and unmapped channels included).
 */
export function scopeOf(config: SlackConfig, channel: string): ConversationScope {
  return conversationScope(config, [channel]);
}
