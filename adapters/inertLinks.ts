/**
 * URLs in text the bot did not write itself (the model's answer, a document's text or
 * title) are shown, never linked: a URL planted in an ingested page, or produced by a
 * prompt-injected model, must not become something to click, nor a preview the platform's
 * crawler fetches the moment the message posts. A masked link `[text](url)` becomes
 * `text (url)` with the URL as inline code; a bare URL or `<url>` becomes inline code, which
 * neither Slack nor Discord turns into a link. Code spans and fenced code blocks are left as
 * they are (neither platform links inside them). The citations an adapter renders itself
 * are the only links in an answer.
 */
const SCHEME = String.raw`(?:(?<![\w+.-])[a-z][a-z0-9+.-]{1,31}:\/\/|(?<![\w.])www\.)`;
const LINKS = new RegExp(
  [
    // [text](url) or [text](<url> "title")
    String.raw`\[([^\[\]\n]{0,500})\]\(\s*<?(${SCHEME}[^\s<>()]*(?:\([^\s<>()]*\)[^\s<>()]*)*)>?(?:\s+"[^"\n]*")?\s*\)`,
    // <url>, and Slack's <url|text>
    String.raw`<(${SCHEME}[^\s<>|]+)(?:\|([^<>\n]{0,500}))?>`,
    // a bare URL
    String.raw`(${SCHEME}[^\s<>\x60"]+)`,
  ].join('|'),
  'gi',
);

/** Trailing characters that end a sentence rather than the URL (and a `)` the URL did not open). */
function trimUrl(url: string): { url: string; rest: string } {
  let end = url.length;
  for (;;) {
    const c = url[end - 1];
    if (c && '.,;:!?\'*_~'.includes(c)) end--;
    else if ((c === ')' || c === ']') && count(url.slice(0, end), c === ')' ? '(' : '[') < count(url.slice(0, end), c)) end--;
    else break;
  }
  return { url: url.slice(0, end), rest: url.slice(end) };
}

function count(s: string, ch: string): number {
  let n = 0;
  for (const c of s) if (c === ch) n++;
  return n;
}

const asCode = (url: string) => `\`${url}\``;

/** One stretch of text outside code: every link or URL in it shown as text; `escape` applies to the rest. */
function inertText(text: string, escape: (plain: string) => string): string {
  let out = '';
  let last = 0;
  for (const m of text.matchAll(LINKS)) {
    out += escape(text.slice(last, m.index));
    last = m.index + m[0].length;
    if (m[2] !== undefined) out += `${inertText(m[1] ?? '', escape)} (${asCode(m[2])})`;
    else if (m[3] !== undefined) out += m[4] ? `${inertText(m[4], escape)} (${asCode(m[3])})` : asCode(m[3]);
    else {
      const { url, rest } = trimUrl(m[5]!);
      out += asCode(url) + escape(rest);
    }
  }
  return out + escape(text.slice(last));
}

/** Splits a line-free stretch into code spans (kept) and the text between them. */
function outsideCodeSpans(text: string, each: (plain: string) => string): string {
  let out = '';
  let plainStart = 0;
  let i = 0;
  while (i < text.length) {
    if (text[i] !== '`') {
      i++;
      continue;
    }
    let run = i;
    while (text[run] === '`') run++;
    const fence = text.slice(i, run);
    // The span closes at the next run of exactly as many backticks.
    let close = text.indexOf(fence, run);
    while (close >= 0 && (text[close + fence.length] === '`' || text[close - 1] === '`')) close = text.indexOf(fence, close + fence.length + 1);
    if (close < 0) {
      i = run;
      continue;
    }
    out += each(text.slice(plainStart, i)) + text.slice(i, close + fence.length);
    i = plainStart = close + fence.length;
  }
  return out + each(text.slice(plainStart));
}

/**
 * `text` with every URL outside code shown as inline code and masked links undone.
 * `escape` is applied to the plain text around them (e.g. Discord's escapeMarkdown for a
 * title); answer text, which is Markdown meant to render, is kept as it is.
 */
export function inertLinks(text: string, escape: (plain: string) => string = (s) => s): string {
  const lines = text.split('\n');
  const out: string[] = [];
  let fence: string | undefined;
  let prose: string[] = [];
  const flush = () => {
    if (prose.length) out.push(outsideCodeSpans(prose.join('\n'), (plain) => inertText(plain, escape)));
    prose = [];
  };
  for (const line of lines) {
    const opener = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence) {
      out.push(line);
      if (opener && opener[0] === fence[0] && opener.length >= fence.length && line.trim() === opener) fence = undefined;
    } else if (opener) {
      flush();
      fence = opener;
      out.push(line);
    } else {
      prose.push(line);
    }
  }
  flush();
  return out.join('\n');
}
