import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import type { ListenerDeps } from '../../deps.ts';
import { answerInPlace, handleOnce } from '../../delivery.ts';
import { renderNotice, safePostFlags } from '../../render.ts';
import { stripBotMention } from './mentionText.ts';

export type AppMentionArgs = SlackEventMiddlewareArgs<'app_mention'> & AllMiddlewareArgs;

export const MENTION_USAGE = 'Ask me a question after the mention, e.g. "@kb How do I create a partial index?"';

/** `@bot question` in a channel: answered in a thread under the mention. */
export async function appMention(deps: ListenerDeps, { event, body, client, context }: AppMentionArgs): Promise<void> {
  if (event.bot_id || event.subtype || !event.user) return;
  // Direct messages arrive as message.im; answering the mention too would answer twice.
  if (event.channel.startsWith('D')) return;
  const { channel, user } = event;
  const thread = event.thread_ts ?? event.ts;
  const question = stripBotMention(event.text, context.botUserId);
  await handleOnce(deps, `slack:${body.event_id}`, async () => {
    if (!question) {
      await client.chat.postMessage({ channel, thread_ts: thread, ...renderNotice(MENTION_USAGE), ...safePostFlags });
      return;
    }
    await answerInPlace(deps, client, { channel, threadTs: thread, user, question, conversation: { platform: 'slack', channel, thread } });
  });
}
