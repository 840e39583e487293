import { unescapeMrkdwn } from '../../mrkdwn.ts';

/** Removes mentions of this bot (`<@U123>` or `<@U123|name>`), then the rest of Slack's markup (`plainQuestion`). */
export function stripBotMention(text: string, botUserId: string | undefined): string {
  const pattern = botUserId ? new RegExp(`<@${botUserId}(\\|[^>]*)?>`, 'g') : /^\s*<@[UW][A-Z0-9]+(\|[^>]*)?>/;
  return plainQuestion(text.replace(pattern, ' '));
}

/**
 * A message's text as the question a person meant: Slack's `<…>` tokens are not words to search
 * for. Mentions of people, groups and `<!channel>`/`<!here>`/`<!everyone>` go; a channel
 * link keeps its name, a link its text (or the URL when it has none), a date its fallback
 * text; then the `&amp;`/`&lt;`/`&gt;` Slack wrote become the characters typed.
 */
export function plainQuestion(text: string): string {
  const words = text.replace(/<([^<>]*)>/g, (_m, inner: string) => {
    const bar = inner.indexOf('|');
    const target = bar < 0 ? inner : inner.slice(0, bar);
    const label = bar < 0 ? undefined : inner.slice(bar + 1);
    if (target.startsWith('@')) return ' ';
    if (target.startsWith('!')) return target.startsWith('!date^') && label ? label : ' ';
    if (target.startsWith('#')) return label ? `#${label}` : ' ';
    return label ?? target;
  });
  return unescapeMrkdwn(words).replace(/\s+/g, ' ').trim();
}
