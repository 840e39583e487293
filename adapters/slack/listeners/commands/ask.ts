import { createHash } from 'node:crypto';
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { type ListenerDeps, scopeOf } from '../../deps.ts';
import { type AskTarget, answerInPlace, answerViaResponseUrl, failureNotice, failureWasShown, handleOnce, logFailure } from '../../delivery.ts';
import { PLACEHOLDER_TEXT, usageHelp } from '../../render.ts';
import { plainQuestion } from '../events/mentionText.ts';

export type AskCommandArgs = SlackCommandMiddlewareArgs & AllMiddlewareArgs;

/** Slash commands carry no event_id; a retry repeats all of these, a new invocation changes trigger_id. */
export function commandDeliveryKey(c: { team_id: string; channel_id: string; user_id: string; text: string; trigger_id: string }): string {
  const hash = createHash('sha256').update(JSON.stringify([c.team_id, c.channel_id, c.user_id, c.text, c.trigger_id])).digest('hex');
  return `slack:command:${hash.slice(0, 32)}`;
}

/** Errors meaning the bot cannot post in this channel, so the response_url is the way to reply. */
function cannotPostHere(err: unknown): boolean {
  const code = (err as { data?: { error?: string } })?.data?.error;
  return code === 'not_in_channel' || code === 'channel_not_found' || code === 'is_archived';
}

/**
 * `/ask <question>`: admitted first (turned away: the reason, only to the asker, as the ack),
 * then ack at once, then a placeholder replaced by the answer (or a private reply).
 */
export async function askCommand(deps: ListenerDeps, { command, ack, respond, client }: AskCommandArgs): Promise<void> {
  const question = plainQuestion(command.text);
  if (!question) {
    await ack({ response_type: 'ephemeral', ...usageHelp(command.command) });
    return;
  }
  const { replyPrivately } = deps.config;
  try {
    await deps.assistant.admit({ question, user: `slack:${command.user_id}`, scope: scopeOf(deps.config, command.channel_id).scope });
  } catch (err) {
    await ack({ response_type: 'ephemeral', ...failureNotice(err) });
    logFailure(deps.logger, err, { channel: command.channel_id, command: command.command });
    return;
  }
  await ack(replyPrivately ? { response_type: 'ephemeral', text: PLACEHOLDER_TEXT } : undefined);

  const target: AskTarget = {
    channel: command.channel_id,
    user: command.user_id,
    question,
    askedBy: replyPrivately ? undefined : command.user_id,
    shareable: replyPrivately,
    admitted: true,
    // A private answer has no thread: the asker's private answers in this channel are one conversation.
    conversation: replyPrivately
      ? { platform: 'slack', channel: command.channel_id, thread: `private:${command.user_id}` }
      : (answerTs) => ({ platform: 'slack', channel: command.channel_id, thread: answerTs }),
  };
  await handleOnce(deps, commandDeliveryKey(command), async () => {
    if (replyPrivately) return answerViaResponseUrl(deps, respond, target, 'ephemeral');
    try {
      await answerInPlace(deps, client, target);
    } catch (err) {
      if (cannotPostHere(err)) {
        deps.logger.info({ channel: command.channel_id }, 'slack: not a member of the channel; answering through response_url');
        return answerViaResponseUrl(deps, respond, target, 'in_channel');
      }
      // The placeholder itself failed: the response_url is the one way left to tell the user.
      if (!failureWasShown(err)) await respond({ response_type: 'ephemeral', ...failureNotice(err) }).catch(() => undefined);
      throw err;
    }
  });
}
