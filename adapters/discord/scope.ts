import { conversationScope, type ChannelScopeMap, type ConversationScope } from '../../src/assistant/channelScope.ts';

/**
 * DISCORD_CHANNEL_SCOPES maps a guild id or a channel id to the collections it may see (and
 * a metadata filter, config.channelFilters, taken from the same entry).
 */
export interface ScopeTarget {
  channelId: string | null;
  parentId?: string | null;
  guildId?: string | null;
}

/**
 * The most specific entry wins: the channel itself, then a thread's parent channel, then the
 * guild, then the map's "*" entry; once a map is configured, anything else (a DM, an unmapped
 * server) gets nothing. Without a map: the core's default collection.
 */
export function resolveScope(map: ChannelScopeMap, target: ScopeTarget): ConversationScope {
  return conversationScope(map, [target.channelId, target.parentId, target.guildId]);
}
