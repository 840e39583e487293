import type { AnswerActions, Assistant } from '../../src/assistant/types.ts';
import type { Config } from '../../src/config.ts';
import type { Logger } from '../../src/logger.ts';
import type { MetadataFilter } from '../../src/store/metadata.ts';
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
}

/** The metadata filter of a channel's scope entry, or undefined when it has none. */
export function filterFor(config: SlackConfig, channel: string): MetadataFilter | undefined {
  const filter = config.channelFilters && Object.hasOwn(config.channelFilters, channel) ? config.channelFilters[channel] : undefined;
  return filter && Object.keys(filter).length ? filter : undefined;
}

/** The collections a channel may see, or undefined when the channel is not mapped. */
export function scopeFor(config: SlackConfig, channel: string): string[] | undefined {
  return Object.hasOwn(config.channelScopes, channel) ? config.channelScopes[channel] : undefined;
}
