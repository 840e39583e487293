/**
 * DISCORD_CHANNEL_SCOPES maps a guild id or a channel id to the collections it may see.
 * The most specific entry wins: the channel itself, then a thread's parent channel, then
 * the guild. Undefined means "no restriction configured" (the core's default collection).
 */
export interface ScopeTarget {
  channelId: string | null;
  parentId?: string | null;
  guildId?: string | null;
}

export function resolveScope(channelScopes: Record<string, string[]>, target: ScopeTarget): string[] | undefined {
  for (const id of [target.channelId, target.parentId, target.guildId]) {
    if (id && Object.hasOwn(channelScopes, id)) return channelScopes[id];
  }
  return undefined;
}
