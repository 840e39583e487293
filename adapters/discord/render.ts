import { ActionRowBuilder, ButtonBuilder, ButtonStyle, escapeMarkdown, type BaseMessageOptions } from 'discord.js';
import type { Answer, Citation } from '../../src/answer/types.ts';
import { inertLinks } from '../inertLinks.ts';
import { DISCORD_MESSAGE_LIMIT, splitMessage } from './splitMessage.ts';

/** An answer takes at most this many messages; a longer one is cut, with TRUNCATED_NOTE. */
export const MAX_ANSWER_MESSAGES = 3;
export const TRUNCATED_NOTE = '_(The answer was cut short to fit in three messages.)_';
/** The sources list fits in one message, with room to spare for the end of the answer. */
const SOURCES_MAX_CHARS = 1800;

/** 👍/👎, followed by `:` and the AnswerRecord id when the answer has one. */
export const FEEDBACK_UP = 'feedback:up';
export const FEEDBACK_DOWN = 'feedback:down';
/** Buttons carrying the id of the core's AnswerRecord after this prefix (custom ids ≤ 100 chars). */
export const SHARE_PREFIX = 'kb:share:';
export const WHY_PREFIX = 'kb:why:';
export const HANDOFF_PREFIX = 'kb:human:';

export interface AnswerRenderOptions {
  /** The AnswerRecord id the buttons carry; without it only 👍/👎 are shown, carrying nothing. */
  recordId?: string;
  /** Only 👍/👎 (with the id), e.g. under a shared copy. */
  feedbackOnly?: boolean;
  /** Add "Share in channel" (a private answer). */
  share?: boolean;
  /** Add "I need a human" (responders are configured). */
  handoff?: boolean;
  /** A first line above the answer, e.g. "Shared by @user: question" (mentions never ping). */
  heading?: string;
}

const SOURCES_TITLE = '**Sources**';
const MAX_TITLE_CHARS = 200;

/**
 * One Discord message of a rendered answer. Mentions are neutralised by the client-wide
 * `allowedMentions: { parse: [] }`, so model text can never ping anyone, and every message
 * carries SuppressEmbeds (suppressEmbeds.ts), so nothing in it is previewed: the sources are
 * text in the message, not an embed.
 */
export type RenderedMessage = Pick<BaseMessageOptions, 'content' | 'components'> & { content: string };

/**
 * Answer → at most MAX_ANSWER_MESSAGES messages of ≤2,000 characters: the answer (its URLs
 * shown as text, not links: inertLinks), then the sources (the only links), the 👍/👎
 * buttons on the last one. An answer too long for that is cut, with a note.
 */
export function renderAnswer(answer: Answer, opts: AnswerRenderOptions = {}): RenderedMessage[] {
  const shown = inertLinks(answer.text);
  const body = answer.note ? `${shown}\n\n_${answer.note}_` : shown;
  const text = opts.heading ? `${opts.heading}\n\n${body}` : body;
  const messages: RenderedMessage[] = fitMessages(text.trim() === '' ? 'I have no answer to that.' : text, renderSources(answer.citations)).map((content) => ({ content }));
  messages[messages.length - 1]!.components = [answerButtons(answer, opts)];
  return messages;
}

/**
 * An answer the model is still writing: its text so far (URLs as text), split and cut as the
 * final answer is (at most MAX_ANSWER_MESSAGES messages), without sources or buttons.
 */
export function renderDraft(text: string): RenderedMessage[] {
  return fitMessages(inertLinks(text), '').map((content) => ({ content }));
}

/** `text` then `tail` (kept whole) in at most MAX_ANSWER_MESSAGES messages, `text` cut at a boundary when it must be. */
function fitMessages(text: string, tail: string): string[] {
  const join = (head: string) => (tail ? `${head}\n\n${tail}` : head);
  const whole = splitMessage(join(text)).filter((c) => c.trim() !== '');
  if (whole.length <= MAX_ANSWER_MESSAGES) return whole;
  // splitMessage's first piece is the longest head of the text ending at a good break, with an
  // open code block closed; shrink it until head, note and tail fit.
  for (let room = MAX_ANSWER_MESSAGES * DISCORD_MESSAGE_LIMIT - tail.length - TRUNCATED_NOTE.length - 4; room > 0; room -= DISCORD_MESSAGE_LIMIT / 8) {
    const head = splitMessage(text, room)[0]!.trimEnd();
    const messages = splitMessage(join(`${head}\n\n${TRUNCATED_NOTE}`)).filter((c) => c.trim() !== '');
    if (messages.length <= MAX_ANSWER_MESSAGES) return messages;
  }
  return splitMessage(join(TRUNCATED_NOTE));
}

export function answerButtons(answer: Answer, opts: AnswerRenderOptions = {}): ActionRowBuilder<ButtonBuilder> {
  const id = opts.recordId;
  const withId = (customId: string) => (id ? `${customId}:${id}` : customId);
  const row = new ActionRowBuilder<ButtonBuilder>().addComponents(
    new ButtonBuilder().setCustomId(withId(FEEDBACK_UP)).setEmoji('👍').setLabel('Helpful').setStyle(ButtonStyle.Secondary),
    new ButtonBuilder().setCustomId(withId(FEEDBACK_DOWN)).setEmoji('👎').setLabel('Not helpful').setStyle(ButtonStyle.Secondary),
  );
  if (!id || opts.feedbackOnly) return row;
  if (opts.share) row.addComponents(new ButtonBuilder().setCustomId(`${SHARE_PREFIX}${id}`).setLabel('Share in channel').setStyle(ButtonStyle.Primary));
  if (answer.citations.length) row.addComponents(new ButtonBuilder().setCustomId(`${WHY_PREFIX}${id}`).setLabel('Why these sources').setStyle(ButtonStyle.Secondary));
  if (opts.handoff) row.addComponents(new ButtonBuilder().setCustomId(`${HANDOFF_PREFIX}${id}`).setLabel('I need a human').setStyle(ButtonStyle.Secondary));
  return row;
}

/** The sources as message text, each cited page a link (the only links in an answer); '' when there are none. */
export function renderSources(citations: Citation[]): string {
  if (citations.length === 0) return '';
  const lines = [SOURCES_TITLE];
  let length = SOURCES_TITLE.length;
  for (let i = 0; i < citations.length; i++) {
    const line = sourceLine(citations[i]!);
    const remaining = citations.length - i - 1;
    const moreNote = remaining > 0 ? `\n…and ${remaining} more` : '';
    if (length + line.length + 1 + moreNote.length > SOURCES_MAX_CHARS) {
      lines.push(`…and ${citations.length - i} more`);
      break;
    }
    lines.push(line);
    length += line.length + 1;
  }
  return lines.join('\n');
}

/** A document's own text in the list: Markdown escaped, any URL in it shown as text. */
function plain(text: string): string {
  return inertLinks(text, escapeMarkdown);
}

function sourceLine(c: Citation): string {
  const title = truncate(c.title.trim() || c.location, MAX_TITLE_CHARS);
  const heading = c.heading && c.heading !== c.title ? ` — ${plain(truncate(c.heading, MAX_TITLE_CHARS))}` : '';
  const url = safeUrl(c.url);
  if (url) return `**[${c.n}]** [${escapeLinkText(title)}](${url})${heading}`;
  return `**[${c.n}]** ${plain(title)}${heading} · \`${truncate(c.location, MAX_TITLE_CHARS).replace(/`/g, "'")}\``;
}

/** Only http(s) links, with the characters that would end a markdown link target encoded. */
function safeUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return undefined;
    const href = parsed.href.replace(/\(/g, '%28').replace(/\)/g, '%29').replace(/ /g, '%20');
    return href.length <= 1000 ? href : undefined;
  } catch {
    return undefined;
  }
}

/** A cited page's title as a link's text: no URL in it (Discord refuses a link whose text looks like one). */
function escapeLinkText(text: string): string {
  return inertLinks(text, (t) => escapeMarkdown(t).replace(/\[/g, '\\[').replace(/\]/g, '\\]'));
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
