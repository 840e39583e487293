import { ActionRowBuilder, ButtonBuilder, ButtonStyle, escapeMarkdown, type APIEmbed, type BaseMessageOptions } from 'discord.js';
import type { Answer, Citation } from '../../src/answer/types.ts';
import { splitMessage } from './splitMessage.ts';

/** Discord's embed limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits). */
export const EMBED_LIMITS = { description: 4096, fields: 25, total: 6000, title: 256 } as const;

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

const SOURCES_TITLE = 'Sources';
const SOURCES_COLOR = 0x336791;
const MAX_TITLE_CHARS = 200;

/**
 * One Discord message of a rendered answer. Mentions are neutralised by the client-wide
 * `allowedMentions: { parse: [] }`, so model text can never ping anyone.
 */
export type RenderedMessage = Pick<BaseMessageOptions, 'content' | 'embeds' | 'components'> & { content: string };

/**
 * Answer → messages: the text split to ≤2,000 characters per message, then the sources
 * embed and the 👍/👎 buttons on the last one.
 */
export function renderAnswer(answer: Answer, opts: AnswerRenderOptions = {}): RenderedMessage[] {
  const body = answer.note ? `${answer.text}\n\n_${answer.note}_` : answer.text;
  const text = opts.heading ? `${opts.heading}\n\n${body}` : body;
  const chunks = splitMessage(text.trim() === '' ? 'I have no answer to that.' : text).filter((c) => c.trim() !== '');
  const messages: RenderedMessage[] = chunks.map((content) => ({ content }));
  const last = messages[messages.length - 1];
  if (last) {
    const embed = renderSources(answer.citations);
    if (embed) last.embeds = [embed];
    last.components = [answerButtons(answer, opts)];
  }
  return messages;
}

/** An answer the model is still writing: its text so far, split as the final answer is, without sources or buttons. */
export function renderDraft(text: string): RenderedMessage[] {
  return splitMessage(text).filter((c) => c.trim() !== '').map((content) => ({ content }));
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

/** Sources as markdown links in the embed description, cut to fit Discord's limits. */
export function renderSources(citations: Citation[]): APIEmbed | undefined {
  if (citations.length === 0) return undefined;
  const lines: string[] = [];
  let length = 0;
  for (let i = 0; i < citations.length; i++) {
    const line = sourceLine(citations[i]!);
    const remaining = citations.length - i - 1;
    const moreNote = remaining > 0 ? `\n…and ${remaining} more` : '';
    if (length + line.length + 1 + moreNote.length > EMBED_LIMITS.description) {
      lines.push(`…and ${citations.length - i} more`);
      break;
    }
    lines.push(line);
    length += line.length + 1;
  }
  return { title: SOURCES_TITLE, description: lines.join('\n'), color: SOURCES_COLOR };
}

function sourceLine(c: Citation): string {
  const title = truncate(c.title.trim() || c.location, MAX_TITLE_CHARS);
  const heading = c.heading && c.heading !== c.title ? ` — ${escapeMarkdown(truncate(c.heading, MAX_TITLE_CHARS))}` : '';
  const url = safeUrl(c.url);
  if (url) return `**[${c.n}]** [${escapeLinkText(title)}](${url})${heading}`;
  return `**[${c.n}]** ${escapeMarkdown(title)}${heading} · \`${truncate(c.location, MAX_TITLE_CHARS).replace(/`/g, "'")}\``;
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

function escapeLinkText(text: string): string {
  return escapeMarkdown(text).replace(/\[/g, '\\[').replace(/\]/g, '\\]');
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
