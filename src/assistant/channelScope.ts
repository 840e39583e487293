import type { MetadataFilter } from '../store/metadata.ts';

/** The scope map key that applies to every conversation without an entry of its own (DMs included). */
export const EVERY_OTHER_CONVERSATION = '*';

/** A platform's scope map as configuration holds it (SLACK_CHANNEL_SCOPES, DISCORD_CHANNEL_SCOPES). */
export interface ChannelScopeMap {
  channelScopes: Record<string, string[]>;
  /** The metadata filter of each entry (empty when it has none). */
  channelFilters?: Record<string, MetadataFilter>;
}

/** What a conversation may search: `scope` and `filter` as AskRequest takes them. */
export interface ConversationScope {
  /** Undefined: no map is configured (the default collection); `[]`: nothing is assigned. */
  scope?: string[];
  filter?: MetadataFilter;
}

/**
 * The scope of a conversation, from the first of `ids` (most specific first: a channel, its
 * parent, its server) that has an entry, else the map's `"*"` entry. Once a map has any entry,
 * a conversation it does not cover gets `[]`: a scope map is an access boundary, so whatever
 * it leaves out (a DM, an unmapped channel) falls back to nothing, never to the default collection.
 */
export function conversationScope(map: ChannelScopeMap, ids: ReadonlyArray<string | null | undefined>): ConversationScope {
  const { channelScopes, channelFilters } = map;
  if (Object.keys(channelScopes).length === 0) return {};
  const key = [...ids, EVERY_OTHER_CONVERSATION].find((id): id is string => Boolean(id) && Object.hasOwn(channelScopes, id!));
  if (key === undefined) return { scope: [] };
  const filter = channelFilters && Object.hasOwn(channelFilters, key) ? channelFilters[key] : undefined;
  return { scope: channelScopes[key], filter: filter && Object.keys(filter).length ? filter : undefined };
}
