import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import type { ListenerDeps } from '../../deps.ts';
import { answerInPlace, handleOnce } from '../../delivery.ts';
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
 * answered is a follow-up (no mention needed). Messages that mention the bot are left to
 * the app_mention listener, and bot messages, edits and other subtypes are ignored.
 */
export async function message(deps: ListenerDeps, { event, body, client, context }: MessageArgs): Promise<void> {
  const m = event as PlainMessage;
  if (m.subtype !== undefined || m.bot_id || !m.user || m.user === context.botUserId || !m.text) return;
  const isDm = m.channel_type === 'im';
  if (!isDm) {
    if (!m.thread_ts || m.thread_ts === m.ts) return;
    if (context.botUserId && m.text.includes(`<@${context.botUserId}`)) return;
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
