/**
 * Discord's markup tokens in a message: user (`<@1>`, `<@!1>`), role (`<@&1>`) and channel
 * (`<#1>`) mentions, custom emoji (`<:name:1>`, `<a:name:1>`), timestamps (`<t:1:R>`) and
 * command mentions (`</ask:1>`), plus the `@everyone` / `@here` pings.
 */
const TOKENS = /<(?:@[!&]?\d+|#\d+|a?:\w+:\d+|t:-?\d+(?::[tTdDfFR])?|\/[\w -]+:\d+)>|@(?:everyone|here)\b/g;

/** A message's text as the question a person meant: mentions, emoji and pings are not words to search for. */
export function plainQuestion(content: string): string {
  return content.replace(TOKENS, ' ').replace(/\s+/g, ' ').trim();
}
