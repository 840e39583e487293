import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import type { ListenerDeps } from '../../deps.ts';
import { looksLikeQuestion } from '../../../supportChannels.ts';
import { answerInPlace, answerQuietly, handleOnce } from '../../delivery.ts';
import { renderNotice, safePostFlags } from '../../render.ts';
import { MENTION_USAGE } from './appMention.ts';
import { stripBotMention } from './mentionText.ts';

export type MessageArgs = SlackEventMiddlewareArgs<'message'> & AllMiddlewareArgs;

/** The fields of a plain user message this listener reads (other subtypes are ignored). */
interface PlainMessage {
  subtype?: string;
  bot_id?: string;
  user?: string;
  text?: string;
  ts: string;
  thread_ts?: string;
  channel: string;
  channel_type?: string;
}

/**
 * Plain messages: every DM is a question; in channels, a reply in a thread the bot has
 * answered is a follow-up (no mention needed), and in a support channel every new top-level
 * question is answered in a thread when the knowledge base has an answer. Messages that
 * mention the bot are left to the app_mention listener, and bot messages, edits and other
 * subtypes are ignored.
 */
export async function message(deps: ListenerDeps, args: MessageArgs): Promise<void> {
  const { event, body, client, context } = args;
  const m = event as PlainMessage;
  if (m.subtype !== undefined || m.bot_id || !m.user || m.user === context.botUserId || !m.text) return;
  const isDm = m.channel_type === 'im';
  if (!isDm) {
    if (context.botUserId && m.text.includes(`<@${context.botUserId}`)) return;
    if (!m.thread_ts || m.thread_ts === m.ts) return supportQuestion(deps, args, m.channel, m.ts, m.user, m.text);
    try {
      if (!(await deps.threads.isAnswered(client, m.channel, m.thread_ts, context))) return;
    } catch (err) {
      deps.logger.warn({ err, channel: m.channel }, 'slack: could not tell whether the thread is ours; ignoring the message');
      return;
    }
  }
  const { channel, user } = m;
  const question = stripBotMention(m.text, context.botUserId);
  // A DM outside any thread is one running conversation; a thread is its own.
  const thread = m.thread_ts ?? (isDm ? channel : m.ts);
  await handleOnce(deps, `slack:${body.event_id}`, async () => {
    if (!question) {
      await client.chat.postMessage({ channel, thread_ts: m.thread_ts, ...renderNotice(MENTION_USAGE), ...safePostFlags });
      return;
    }
    await answerInPlace(deps, client, { channel, threadTs: m.thread_ts, user, question, conversation: { platform: 'slack', channel, thread } });
  });
}

/** A top-level message in a support channel: answered in its thread only when there is an answer. */
async function supportQuestion(deps: ListenerDeps, { body, client, context }: MessageArgs, channel: string, ts: string, user: string, text: string): Promise<void> {
  if (!deps.config.supportChannels?.includes(channel)) return;
  const question = stripBotMention(text, context.botUserId);
  if (!looksLikeQuestion(question, deps.config.support)) return;
  await handleOnce(deps, `slack:${body.event_id}`, () =>
    answerQuietly(deps, client, { channel, threadTs: ts, user, question, conversation: { platform: 'slack', channel, thread: ts } }),
  );
}
