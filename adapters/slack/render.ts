import type { types } from '@slack/bolt';
import type { Answer, Citation } from '../../src/answer/types.ts';
import type { FeedbackRecord } from '../../src/assistant/types.ts';
import { inertLinks } from '../inertLinks.ts';
import { escapeMrkdwn, slackLink, splitMrkdwn, truncateMrkdwn, unescapeMrkdwn, userMention } from './mrkdwn.ts';

/** Block Kit limits (https://docs.slack.dev/reference/block-kit/blocks). */
export const SECTION_TEXT_LIMIT = 3000;
export const MAX_BLOCKS = 50;
export const BUTTON_VALUE_LIMIT = 2000;
/** The top-level `text` is only a notification / accessibility fallback. */
export const FALLBACK_TEXT_LIMIT = 3000;

export const PLACEHOLDER_TEXT = 'Searching the knowledge base…';
export const ANSWER_BLOCK_PREFIX = 'kb_answer_';
export const FEEDBACK_UP = 'feedback_up';
export const FEEDBACK_DOWN = 'feedback_down';
/** Buttons whose value is the id of the core's AnswerRecord. */
export const SHARE_ACTION = 'kb_share';
export const HANDOFF_ACTION = 'kb_handoff';
export const WHY_ACTION = 'kb_why';

export type Block = types.KnownBlock;

export interface SlackMessage {
  text: string;
  blocks: Block[];
}

export interface RenderOptions {
  /** The question as the user typed it (carried in the feedback buttons). */
  question: string;
  /** Shows "Asked by @user: …" above the answer (slash commands posted in a channel). */
  askedBy?: string;
  /** "Shared by" instead of "Asked by" (a private answer the asker shared). */
  shared?: boolean;
  /** The AnswerRecord id the buttons carry; without it only 👍/👎 are shown, carrying the answer itself. */
  recordId?: string;
  /** Only 👍/👎 (with the id), e.g. under a shared copy. */
  feedbackOnly?: boolean;
  /** Add "Share in channel" (private answers). */
  share?: boolean;
  /** Add "I need a human" (hand-off responders are configured). */
  handoff?: boolean;
}

/** Flags for every post: no mention parsing, no link unfurling of model output. */
export const safePostFlags = { parse: 'none', link_names: false, unfurl_links: false, unfurl_media: false } as const;
/** The same flags for chat.update, which has no unfurl options. */
export const safeUpdateFlags = { parse: safePostFlags.parse, link_names: safePostFlags.link_names } as const;

function section(text: string, blockId?: string): Block {
  // verbatim: Slack must not auto-link URLs or channel names in text it did not build.
  return { type: 'section', ...(blockId ? { block_id: blockId } : {}), text: { type: 'mrkdwn', text, verbatim: true } };
}

function context(text: string): Block {
  return { type: 'context', elements: [{ type: 'mrkdwn', text, verbatim: true }] };
}

/** Slack uses *bold*, not Markdown's **bold**. */
function toMrkdwn(text: string): string {
  return escapeMrkdwn(text).replace(/\*\*(\S(?:[^*\n]*\S)?)\*\*/g, '*$1*');
}

function sourceLine(c: Citation): string {
  const label = `${c.n}. ${c.title}`;
  if (c.url) return slackLink(c.url, label);
  return `${escapeMrkdwn(inertLinks(label))} — ${escapeMrkdwn(c.location)}`;
}

/**
 * Renders an answer as Block Kit: answer sections, sources with links, 👍/👎 buttons. The
 * sources are the only links: a URL in the answer (the model's, or a document's quoted) is
 * shown as inline code, which Slack neither links nor unfurls (inertLinks).
 */
export function renderAnswer(answer: Answer, opts: RenderOptions): SlackMessage {
  const shown = inertLinks(answer.text);
  const head: Block[] = opts.askedBy ? [context(`${opts.shared ? 'Shared by' : 'Asked by'} ${userMention(opts.askedBy)}: ${truncateMrkdwn(escapeMrkdwn(opts.question), 2000)}`)] : [];
  const tail: Block[] = [];
  if (answer.note) tail.push(context(`_${truncateMrkdwn(escapeMrkdwn(answer.note), 2000)}_`));
  if (answer.citations.length) {
    const sources = ['*Sources*', ...answer.citations.map(sourceLine)].join('\n');
    for (const piece of splitMrkdwn(sources, SECTION_TEXT_LIMIT).slice(0, 5)) tail.push(section(piece));
  }
  tail.push(answerButtons(opts.recordId ?? encodeFeedbackValue(opts.question, answer), extraButtons(answer, opts)));

  const body = answerSections(shown, MAX_BLOCKS - head.length - tail.length);
  return { text: truncateMrkdwn(escapeMrkdwn(shown), FALLBACK_TEXT_LIMIT), blocks: [...head, ...body, ...tail] };
}

/** The answer text as sections (at most `room` of them), each within Slack's section limit. */
function answerSections(text: string, room: number): Block[] {
  let pieces = splitMrkdwn(toMrkdwn(text), SECTION_TEXT_LIMIT);
  if (pieces.length === 0) pieces = ['_(no answer text)_'];
  if (pieces.length > room) {
    pieces = pieces.slice(0, room);
    pieces[room - 1] = `${truncateMrkdwn(pieces[room - 1], SECTION_TEXT_LIMIT - 30)}\n_(answer truncated)_`;
  }
  return pieces.map((p, i) => section(p, `${ANSWER_BLOCK_PREFIX}${i}`));
}

export const DRAFT_NOTE = '_Still writing…_';

/** An answer the model is still writing: its text so far (URLs as text, as in the answer), no sources or buttons yet. */
export function renderDraft(text: string): SlackMessage {
  const shown = inertLinks(text);
  return { text: truncateMrkdwn(escapeMrkdwn(shown), FALLBACK_TEXT_LIMIT), blocks: [...answerSections(shown, MAX_BLOCKS - 1), context(DRAFT_NOTE)] };
}

/**
 * Markdown for Slack's streaming methods (markdown_text): the model's `<`, `>` and `&` as text,
 * never a mention, and its URLs as code, never links. (A URL still being written changes the
 * text already streamed, so the stream stops growing there; the final answer replaces it.)
 */
export function streamMarkdown(text: string): string {
  return escapeMrkdwn(inertLinks(text));
}

/** A short notice (usage help, an error's userMessage), escaped. */
export function renderNotice(message: string, emoji = ''): SlackMessage {
  const text = truncateMrkdwn(escapeMrkdwn(message), SECTION_TEXT_LIMIT);
  const shown = emoji ? `${emoji} ${text}` : text;
  return { text: shown, blocks: [section(shown)] };
}

export function usageHelp(command: string): SlackMessage {
  return renderNotice(`Usage: ${command} <your question>, e.g. ${command} How do I create a partial index in PostgreSQL?`);
}

type Button = Extract<Extract<Block, { type: 'actions' }>['elements'][number], { type: 'button' }>;

function button(actionId: string, label: string, value: string, style?: 'primary'): Button {
  return { type: 'button', action_id: actionId, text: { type: 'plain_text', text: label, emoji: true }, value, ...(style ? { style } : {}) };
}

function extraButtons(answer: Answer, opts: RenderOptions): Button[] {
  const id = opts.recordId;
  if (!id || opts.feedbackOnly) return [];
  const out: Button[] = [];
  if (opts.share) out.push(button(SHARE_ACTION, 'Share in channel', id, 'primary'));
  if (answer.citations.length) out.push(button(WHY_ACTION, 'Why these sources', id));
  if (opts.handoff) out.push(button(HANDOFF_ACTION, 'I need a human', id));
  return out;
}

function answerButtons(value: string, extra: Button[]): Block {
  return {
    type: 'actions',
    block_id: 'kb_feedback',
    elements: [button(FEEDBACK_UP, '👍', value), button(FEEDBACK_DOWN, '👎', value), ...extra],
  };
}

/**
 * What a feedback button of an answer without a record carries (no AnswerActions, or keeping
 * the record failed): enough to build a FeedbackRecord without server state.
 */
export interface FeedbackValue {
  question: string;
  /** The answer, possibly truncated; the full text is read back from the message when Slack sends it. */
  answer: string;
  citations: FeedbackRecord['citations'];
}

type CompactCitation = [number, string, string, string?];

/** Packs question, answer and citations into a button value of at most 2000 characters. */
export function encodeFeedbackValue(question: string, answer: Answer): string {
  const c: CompactCitation[] = answer.citations.map((x) => {
    const url = x.url && x.url.length <= 300 ? x.url : undefined;
    return url ? [x.n, x.title.slice(0, 80), x.location.slice(0, 120), url] : [x.n, x.title.slice(0, 80), x.location.slice(0, 120)];
  });
  const q = question.slice(0, 300);
  while (c.length && JSON.stringify({ q, a: '', c }).length > BUTTON_VALUE_LIMIT - 200) c.pop();
  let a = answer.text;
  let value = JSON.stringify({ q, a, c });
  while (value.length > BUTTON_VALUE_LIMIT) {
    a = a.slice(0, Math.max(0, a.length - (value.length - BUTTON_VALUE_LIMIT) - 1));
    value = JSON.stringify({ q, a, c });
  }
  return value;
}

export function decodeFeedbackValue(value: string | undefined): FeedbackValue | undefined {
  try {
    const v = JSON.parse(value ?? '') as { q?: unknown; a?: unknown; c?: unknown };
    if (typeof v.q !== 'string' || typeof v.a !== 'string' || !Array.isArray(v.c)) return undefined;
    const citations = (v.c as unknown[]).filter((x): x is CompactCitation => Array.isArray(x) && typeof x[0] === 'number' && typeof x[1] === 'string' && typeof x[2] === 'string');
    return { question: v.q, answer: v.a, citations: citations.map(([n, title, location, url]) => ({ n, title, location, ...(typeof url === 'string' ? { url } : {}) })) };
  } catch {
    return undefined;
  }
}

/** The full answer text of a posted answer message, read back from its answer sections. */
export function answerTextFromBlocks(blocks: unknown): string | undefined {
  if (!Array.isArray(blocks)) return undefined;
  const texts = blocks
    .filter((b): b is { block_id: string; text: { text: string } } => typeof b?.block_id === 'string' && b.block_id.startsWith(ANSWER_BLOCK_PREFIX) && typeof b?.text?.text === 'string')
    .map((b) => unescapeMrkdwn(b.text.text));
  return texts.length ? texts.join('\n\n') : undefined;
}
