import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { ANSWER_RECORD_TTL_S } from '../../../../src/assistant/answerActions.ts';
import type { AnswerActions, AnswerRecord } from '../../../../src/assistant/types.ts';
import { KbError } from '../../../../src/errors.ts';
import type { ListenerDeps } from '../../deps.ts';
import { failureNotice, logFailure } from '../../delivery.ts';
import { renderAnswer, renderNotice, safePostFlags, type SlackMessage } from '../../render.ts';

export type ButtonArgs = SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs;

export const EXPIRED = 'That button has expired; please ask again.';

/** The record a button refers to, or a KbError whose message the presser sees. */
export async function recordFor(deps: ListenerDeps, value: string | undefined): Promise<{ id: string; record: AnswerRecord; actions: AnswerActions }> {
  const id = value ?? '';
  const { actions } = deps;
  const record = actions ? await actions.recall(id) : undefined;
  if (!actions || !record) throw new KbError('input/invalid_argument', EXPIRED);
  return { id, record, actions };
}

/** Tells only the presser: next to a normal message, or through response_url for an ephemeral one. */
export function tellPresser({ body, client, respond }: ButtonArgs): (msg: SlackMessage) => Promise<unknown> {
  const channel = body.channel?.id ?? body.container?.channel_id;
  const threadTs: string | undefined = body.message?.thread_ts;
  return (msg) =>
    body.message && channel
      ? client.chat.postEphemeral({ channel, user: body.user.id, thread_ts: threadTs, ...msg })
      : respond({ response_type: 'ephemeral', replace_original: false, ...msg });
}

/**
 * "Share in channel" under a private answer: posts it in the channel once, attributed to
 * the asker (only the asker may), then turns the private copy into a note that it was shared.
 */
export async function shareAction(deps: ListenerDeps, args: ButtonArgs): Promise<void> {
  const { ack, action, body, client, respond } = args;
  await ack();
  const tell = tellPresser(args);
  const claimKey = `slack:share:${action.value ?? ''}`;
  let claimed = false;
  try {
    const { id, record } = await recordFor(deps, action.value);
    if (record.asker !== body.user.id) throw new KbError('input/invalid_argument', 'Only the person who asked can share this answer.');
    claimed = await deps.assistant.claimEvent(claimKey, ANSWER_RECORD_TTL_S);
    if (!claimed) {
      await tell(renderNotice('This answer has already been shared in the channel.'));
      return;
    }
    const posted = await client.chat.postMessage({
      channel: record.channel,
      ...renderAnswer(record.answer, { question: record.question, askedBy: record.asker, shared: true, recordId: id, feedbackOnly: true }),
      ...safePostFlags,
    });
    if (posted.ts) deps.threads.remember(record.channel, posted.ts);
    await respond({ response_type: 'ephemeral', replace_original: true, ...renderNotice('Shared in the channel. ✅') });
  } catch (err) {
    if (claimed) await deps.assistant.releaseEvent(claimKey).catch(() => undefined);
    logFailure(deps.logger, err, { action: action.action_id });
    const notInChannel = (err as { data?: { error?: string } })?.data?.error === 'not_in_channel';
    const msg = notInChannel ? renderNotice('I am not a member of this channel: invite me (/invite @kb) and press Share again.', ':warning:') : failureNotice(err);
    await tell(msg).catch((e: unknown) => deps.logger.warn({ err: e }, 'slack: could not show the failure'));
  }
}
