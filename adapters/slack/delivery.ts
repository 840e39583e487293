import type { RespondFn, webApi } from '@slack/bolt';
import type { AnswerRecord, ConversationKey } from '../../src/assistant/types.ts';
import { KbError, toKbError } from '../../src/errors.ts';
import type { Logger } from '../../src/logger.ts';
import { filterFor, type ListenerDeps, scopeFor } from './deps.ts';
import { PLACEHOLDER_TEXT, renderAnswer, renderNotice, type SlackMessage, safePostFlags } from './render.ts';

const linkFlags = { parse: safePostFlags.parse, link_names: safePostFlags.link_names } as const;

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
}

/** Logs a failure once: expected user-side failures at info, the rest at error with the cause. */
export function logFailure(logger: Logger, err: unknown, fields: Record<string, unknown>): void {
  const kb = toKbError(err);
  const expected = kb.code === 'rate/limited' || kb.code.startsWith('input/');
  if (expected) logger.info({ ...fields, code: kb.code }, 'slack: request refused');
  else logger.error({ ...fields, code: kb.code, err: kb.cause ?? err }, 'slack: handling failed');
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
  return renderNotice(toKbError(err).userMessage, ':warning:');
}

/**
 * Exactly-once handling: runs `work` only for the first delivery of `key`. When `work`
 * fails, the claim is released so a real redelivery is answered. If the claim store is
 * down, the event is handled anyway (a rare duplicate beats a lost question).
 */
export async function handleOnce(deps: ListenerDeps, key: string, work: () => Promise<void>): Promise<void> {
  let claimed = true;
  try {
    claimed = await deps.assistant.claimEvent(key);
  } catch (err) {
    deps.logger.warn({ key, err }, 'slack: could not claim the event; handling it anyway');
  }
  if (!claimed) {
    deps.logger.debug({ key }, 'slack: duplicate delivery ignored');
    return;
  }
  try {
    await work();
  } catch (err) {
    logFailure(deps.logger, err, { key });
    try {
      await deps.assistant.releaseEvent(key);
    } catch (releaseErr) {
      deps.logger.warn({ key, err: releaseErr }, 'slack: could not release the event claim');
    }
  }
}

async function ask(deps: ListenerDeps, t: AskTarget, answerTs?: string): Promise<SlackMessage> {
  const conversation = typeof t.conversation === 'function' ? (answerTs ? t.conversation(answerTs) : undefined) : t.conversation;
  const scope = scopeFor(deps.config, t.channel);
  const answer = await deps.assistant.answer({ question: t.question, user: `slack:${t.user}`, conversation, scope, filter: filterFor(deps.config, t.channel) });
  const recordId = await keepRecord(deps, { platform: 'slack', question: t.question, answer, asker: t.user, channel: t.channel, scope, conversation });
  return renderAnswer(answer, { question: t.question, askedBy: t.askedBy, recordId, share: t.shareable, handoff: Boolean(deps.config.handoffResponders?.length) });
}

/** Keeps what the answer's buttons need; without it (or if that fails) they are left off. */
export async function keepRecord(deps: ListenerDeps, record: AnswerRecord): Promise<string | undefined> {
  if (!deps.actions) return undefined;
  try {
    return await deps.actions.keep(record);
  } catch (err) {
    deps.logger.warn({ err }, 'slack: could not keep the answer record; answering without its buttons');
    return undefined;
  }
}

/**
 * Posts a placeholder, then replaces it with the answer (or with a short failure notice,
 * rethrowing so the claim is released). Returns the answer message's ts.
 */
export async function answerInPlace(deps: ListenerDeps, client: webApi.WebClient, t: AskTarget): Promise<string> {
  const placeholder = await client.chat.postMessage({ channel: t.channel, thread_ts: t.threadTs, text: PLACEHOLDER_TEXT, ...safePostFlags });
  const ts = placeholder.ts;
  if (!ts) throw new KbError('internal/unexpected', undefined, { cause: new Error('chat.postMessage returned no ts') });
  try {
    const message = await ask(deps, t, ts);
    await client.chat.update({ channel: t.channel, ts, ...message, ...linkFlags });
  } catch (err) {
    await client.chat
      .update({ channel: t.channel, ts, ...failureNotice(err), ...linkFlags })
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
  let answer;
  try {
    answer = await deps.assistant.answer({ question: t.question, user: `slack:${t.user}`, conversation: t.conversation as ConversationKey, scope: scopeFor(deps.config, t.channel), filter: filterFor(deps.config, t.channel) });
  } catch (err) {
    logFailure(deps.logger, err, { channel: t.channel, support: true });
    return;
  }
  if (answer.refused) {
    deps.logger.info({ channel: t.channel }, 'slack: support question without an answer; staying quiet');
    if (deps.config.support?.reactWhenUnsure ?? true) await client.reactions.add({ channel: t.channel, timestamp: t.threadTs, name: 'eyes' });
    return;
  }
  const recordId = await keepRecord(deps, { platform: 'slack', question: t.question, answer, asker: t.user, channel: t.channel, scope: scopeFor(deps.config, t.channel), conversation: t.conversation as ConversationKey });
  await client.chat.postMessage({ channel: t.channel, thread_ts: t.threadTs, ...renderAnswer(answer, { question: t.question, recordId, handoff: Boolean(deps.config.handoffResponders?.length) }), ...safePostFlags });
  deps.threads.remember(t.channel, t.threadTs);
}

/** Answers through a slash command's response_url (private replies, or channels the bot is not in). */
export async function answerViaResponseUrl(deps: ListenerDeps, respond: RespondFn, t: AskTarget, responseType: 'ephemeral' | 'in_channel'): Promise<void> {
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
