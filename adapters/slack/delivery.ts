import type { RespondFn, webApi } from '@slack/bolt';
import type { AnswerRecord, ConversationKey } from '../../src/assistant/types.ts';
import type { DraftListener } from '../../src/answer/types.ts';
import { admitOrTell, handleOnce as coreHandleOnce, keepRecord as coreKeepRecord, logFailure as coreLogFailure } from '../../src/assistant/delivery.ts';
import { type DraftPacer, streamingPacer } from '../../src/assistant/draftPacer.ts';
import { failureReport, KbError } from '../../src/errors.ts';
import type { Logger } from '../../src/logger.ts';
import { type ListenerDeps, scopeOf } from './deps.ts';
import { PLACEHOLDER_TEXT, renderAnswer, renderDraft, renderNotice, type SlackMessage, safePostFlags, safeUpdateFlags } from './render.ts';

/** One question to answer, wherever it came from (command, mention, follow-up, DM). */
export interface AskTarget {
  channel: string;
  /** Post in this thread; undefined posts at the top level. */
  threadTs?: string;
  /** Raw Slack user id of the asker. */
  user: string;
  question: string;
  /** Conversation key; given the answer message's ts for answers that start a thread. */
  conversation?: ConversationKey | ((answerTs: string) => ConversationKey);
  /** Show "Asked by" above the answer (slash commands in a channel). */
  askedBy?: string;
  /** A private answer: it gets a "Share in channel" button. */
  shareable?: boolean;
  /** The question already passed `admit()` (the slash command admits it before acknowledging). */
  admitted?: boolean;
}

/** Logs a failure by the core's errors table. */
export function logFailure(logger: Logger, err: unknown, fields: Record<string, unknown>): void {
  coreLogFailure({ platform: 'slack', logger }, err, fields);
}

const shown = new WeakSet<object>();

/** True when the user has already seen a notice for this failure. */
export function failureWasShown(err: unknown): boolean {
  return typeof err === 'object' && err !== null && shown.has(err);
}

function markShown(err: unknown): void {
  if (typeof err === 'object' && err !== null) shown.add(err);
}

/** The short message a user sees for any failure: a KbError's userMessage, never a stack. */
export function failureNotice(err: unknown): SlackMessage {
  return renderNotice(failureReport(err).userMessage, ':warning:');
}

/** Exactly-once handling of a Slack event (the core's claim cycle). */
export async function handleOnce(deps: ListenerDeps, key: string, work: () => Promise<void>): Promise<void> {
  await coreHandleOnce(deps.assistant, { platform: 'slack', logger: deps.logger }, key, work);
}

/**
 * Admits the question unless that was done already; a question turned away gets only the
 * reason, through `tell`, and nothing else is posted (the error is rethrown).
 */
export async function admit(deps: ListenerDeps, t: AskTarget, tell: (notice: SlackMessage) => Promise<unknown>): Promise<void> {
  if (t.admitted) return;
  let told = false;
  try {
    await admitOrTell(deps.assistant, { platform: 'slack', logger: deps.logger }, { question: t.question, user: `slack:${t.user}`, scope: scopeOf(deps.config, t.channel).scope }, async (message) => {
      await tell(renderNotice(message, ':warning:'));
      told = true;
    });
  } catch (err) {
    if (told) markShown(err);
    throw err;
  }
}

/** The answer to an admitted question, rendered. */
async function ask(deps: ListenerDeps, t: AskTarget, answerTs?: string, onDraft?: DraftListener): Promise<SlackMessage> {
  const conversation = typeof t.conversation === 'function' ? (answerTs ? t.conversation(answerTs) : undefined) : t.conversation;
  const { scope, filter } = scopeOf(deps.config, t.channel);
  const answer = await deps.assistant.answer({ question: t.question, user: `slack:${t.user}`, conversation, scope, filter, onDraft, admitted: true });
  const recordId = await keepRecord(deps, { platform: 'slack', question: t.question, answer, asker: t.user, channel: t.channel, scope, conversation });
  return renderAnswer(answer, { question: t.question, askedBy: t.askedBy, recordId, share: t.shareable, handoff: Boolean(deps.config.handoffResponders?.length) });
}

/** Keeps what the answer's buttons need; without it (or if that fails) they carry no id. */
export function keepRecord(deps: ListenerDeps, record: AnswerRecord): Promise<string | undefined> {
  return coreKeepRecord(deps.actions, { platform: 'slack', logger: deps.logger }, record);
}

/** Paces an answer's drafts onto Slack; undefined when answers are shown only when complete. */
export function draftPacer(deps: ListenerDeps, send: (text: string) => Promise<unknown>, posted = false): DraftPacer<string> | undefined {
  return streamingPacer(deps.streaming, send, (err) => deps.logger.warn({ err }, 'slack: could not show a draft; the answer follows when it is complete'), posted);
}

/**
 * Admits the question (turned away: only the reason is posted, in the thread), posts a
 * placeholder, then replaces it with the answer (or with a short failure notice,
 * rethrowing so the claim is released). With streaming on, the placeholder shows the answer
 * as the model writes it (chat.update, paced), and the last update is the final answer.
 * Returns the answer message's ts.
 */
export async function answerInPlace(deps: ListenerDeps, client: webApi.WebClient, t: AskTarget): Promise<string> {
  await admit(deps, t, (notice) => client.chat.postMessage({ channel: t.channel, thread_ts: t.threadTs, ...notice, ...safePostFlags }));
  const placeholder = await client.chat.postMessage({ channel: t.channel, thread_ts: t.threadTs, text: PLACEHOLDER_TEXT, ...safePostFlags });
  const ts = placeholder.ts;
  if (!ts) throw new KbError('internal/unexpected', undefined, { cause: new Error('chat.postMessage returned no ts') });
  const pacer = draftPacer(deps, (text) => client.chat.update({ channel: t.channel, ts, ...renderDraft(text), ...safeUpdateFlags }), true);
  try {
    const message = await ask(deps, t, ts, pacer && ((text) => pacer.push(text)));
    await pacer?.settle();
    await client.chat.update({ channel: t.channel, ts, ...message, ...safeUpdateFlags });
  } catch (err) {
    await pacer?.settle();
    await client.chat
      .update({ channel: t.channel, ts, ...failureNotice(err), ...safeUpdateFlags })
      .then(() => markShown(err))
      .catch((e: unknown) => deps.logger.warn({ err: e }, 'slack: could not show the failure'));
    throw err;
  }
  deps.threads.remember(t.channel, t.threadTs ?? ts);
  return ts;
}

/**
 * Support channels: nothing is posted until the answer is known, and then only a real one.
 * A question the knowledge base cannot answer gets a 👀 reaction (or nothing), and a
 * failure is only logged: an unasked-for error message is noise.
 */
export async function answerQuietly(deps: ListenerDeps, client: webApi.WebClient, t: AskTarget & { threadTs: string }): Promise<void> {
  const { scope, filter } = scopeOf(deps.config, t.channel);
  let answer;
  try {
    answer = await deps.assistant.answer({ question: t.question, user: `slack:${t.user}`, conversation: t.conversation as ConversationKey, scope, filter });
  } catch (err) {
    logFailure(deps.logger, err, { channel: t.channel, support: true });
    return;
  }
  if (answer.refused) {
    deps.logger.info({ channel: t.channel }, 'slack: support question without an answer; staying quiet');
    if (deps.config.support?.reactWhenUnsure ?? true) await client.reactions.add({ channel: t.channel, timestamp: t.threadTs, name: 'eyes' });
    return;
  }
  const recordId = await keepRecord(deps, { platform: 'slack', question: t.question, answer, asker: t.user, channel: t.channel, scope, conversation: t.conversation as ConversationKey });
  await client.chat.postMessage({ channel: t.channel, thread_ts: t.threadTs, ...renderAnswer(answer, { question: t.question, recordId, handoff: Boolean(deps.config.handoffResponders?.length) }), ...safePostFlags });
  deps.threads.remember(t.channel, t.threadTs);
}

/** Answers through a slash command's response_url (private replies, or channels the bot is not in). */
export async function answerViaResponseUrl(deps: ListenerDeps, respond: RespondFn, t: AskTarget, responseType: 'ephemeral' | 'in_channel'): Promise<void> {
  await admit(deps, t, (notice) => respond({ response_type: 'ephemeral', replace_original: false, ...notice }));
  try {
    const message = await ask(deps, t);
    await respond({ response_type: responseType, replace_original: false, ...message });
  } catch (err) {
    await respond({ response_type: 'ephemeral', replace_original: false, ...failureNotice(err) })
      .then(() => markShown(err))
      .catch((e: unknown) => deps.logger.warn({ err: e }, 'slack: could not show the failure'));
    throw err;
  }
}
