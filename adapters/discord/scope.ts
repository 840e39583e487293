import type { MetadataFilter } from '../../src/store/metadata.ts';

/**
 * DISCORD_CHANNEL_SCOPES maps a guild id or a channel id to the collections it may see (and
 * a metadata filter, config.channelFilters, taken from the same entry).
 * The most specific entry wins: the channel itself, then a thread's parent channel, then
 * the guild. Undefined means "no restriction configured" (the core's default collection).
 */
export interface ScopeTarget {
  channelId: string | null;
  parentId?: string | null;
  guildId?: string | null;
}

export function resolveScope<T = string[]>(channelScopes: Record<string, T>, target: ScopeTarget): T | undefined {
  for (const id of [target.channelId, target.parentId, target.guildId]) {
    if (id && Object.hasOwn(channelScopes, id)) return channelScopes[id];
  }
  return undefined;
}

/** The metadata filter of the entry resolveScope picks (every entry has one, maybe empty); undefined when none applies. */
export function resolveFilter(channelFilters: Record<string, MetadataFilter> | undefined, target: ScopeTarget): MetadataFilter | undefined {
  const filter = channelFilters ? resolveScope(channelFilters, target) : undefined;
  return filter && Object.keys(filter).length ? filter : undefined;
}
