import type { AllMiddlewareArgs, MessageShortcut, SlackShortcutMiddlewareArgs } from '@slack/bolt';
import type { ListenerDeps } from '../../deps.ts';
import { answerInPlace, failureNotice, failureWasShown, handleOnce } from '../../delivery.ts';
import { renderNotice } from '../../render.ts';
import { stripBotMention } from '../events/mentionText.ts';

export const ASK_SHORTCUT = 'ask_kb';

export type MessageShortcutArgs = SlackShortcutMiddlewareArgs<MessageShortcut> & AllMiddlewareArgs;

/** "Ask the knowledge base" on any message: answers that message's text in its thread. */
export async function askAboutMessage(deps: ListenerDeps, { shortcut, ack, client, respond, context }: MessageShortcutArgs): Promise<void> {
  await ack();
  const channel = shortcut.channel.id;
  const message = shortcut.message as { ts: string; thread_ts?: string; text?: string };
  const question = stripBotMention(message.text ?? '', context.botUserId);
  if (!question) {
    await respond({ response_type: 'ephemeral', ...renderNotice('That message has no text to ask about.') });
    return;
  }
  const thread = message.thread_ts ?? message.ts;
  await handleOnce(deps, `slack:shortcut:${shortcut.trigger_id}`, async () => {
    try {
      await answerInPlace(deps, client, { channel, threadTs: thread, user: shortcut.user.id, question, conversation: { platform: 'slack', channel, thread } });
    } catch (err) {
      // Most often the bot is not in the channel: tell the presser privately.
      if (!failureWasShown(err)) await respond({ response_type: 'ephemeral', ...failureNotice(err) }).catch(() => undefined);
      throw err;
    }
  });
}
