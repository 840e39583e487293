/** Removes mentions of this bot (`<@U123>` or `<@U123|name>`) from a message's text. */
export function stripBotMention(text: string, botUserId: string | undefined): string {
  const pattern = botUserId ? new RegExp(`<@${botUserId}(\\|[^>]*)?>`, 'g') : /^\s*<@[UW][A-Z0-9]+(\|[^>]*)?>/;
  return text.replace(pattern, ' ').replace(/\s+/g, ' ').trim();
}
