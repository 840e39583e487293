/**
 * Slack mrkdwn text helpers. Everything a user or the model wrote passes through
 * `escapeMrkdwn`, so `<!channel>`, `<!here>` or `<@U123>` in a question or an answer
 * shows up as text and never pings anyone; only links built by `slackLink` are live.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Reverses `escapeMrkdwn` (used to recover the answer text from a posted message). */
export function unescapeMrkdwn(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** A live link, only for http(s) URLs; anything else renders as escaped text. */
export function slackLink(url: string | undefined, label: string): string {
  const text = escapeMrkdwn(label);
  if (!url || !/^https?:\/\/[^\s]+$/i.test(url)) return text;
  // Inside <url|label> the URL may not contain <, > or |; & is sent entity-encoded.
  const safeUrl = url.replace(/</g, '%3C').replace(/>/g, '%3E').replace(/\|/g, '%7C').replace(/&/g, '&amp;');
  return `<${safeUrl}|${text}>`;
}

/** A user mention, built only from a well-formed Slack user id. */
export function userMention(userId: string): string {
  return /^[UW][A-Z0-9]{2,}$/.test(userId) ? `<@${userId}>` : escapeMrkdwn(userId);
}

/** Moves `cut` back so it does not fall inside an entity such as `&amp;`. */
function safeCut(text: string, cut: number): number {
  const amp = text.lastIndexOf('&', cut - 1);
  if (amp >= 0 && amp > cut - 5 && !text.slice(amp, cut).includes(';')) return amp;
  return cut;
}

/**
 * Splits escaped mrkdwn into pieces of at most `max` characters, preferring paragraph,
 * then line, then word boundaries, and never cutting an entity in half.
 */
export function splitMrkdwn(text: string, max: number): string[] {
  const parts: string[] = [];
  let rest = text.trim();
  while (rest.length > max) {
    const floor = Math.floor(max / 2);
    let cut = rest.lastIndexOf('\n\n', max);
    if (cut < floor) cut = rest.lastIndexOf('\n', max);
    if (cut < floor) cut = rest.lastIndexOf(' ', max);
    if (cut < floor) cut = safeCut(rest, max);
    const piece = rest.slice(0, cut).trimEnd();
    if (piece) parts.push(piece);
    rest = rest.slice(cut).trimStart();
  }
  if (rest) parts.push(rest);
  return parts;
}

/** Truncates escaped mrkdwn to at most `max` characters, ending with an ellipsis when cut. */
export function truncateMrkdwn(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, safeCut(text, max - 1)).trimEnd()}…`;
}
