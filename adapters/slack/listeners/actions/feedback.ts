import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { feedbackFor } from '../../../../src/assistant/delivery.ts';
import type { FeedbackRecord } from '../../../../src/assistant/types.ts';
import { KbError } from '../../../../src/errors.ts';
import type { ListenerDeps } from '../../deps.ts';
import { failureNotice, logFailure } from '../../delivery.ts';
import { answerTextFromBlocks, decodeFeedbackValue, FEEDBACK_UP, renderNotice } from '../../render.ts';
import { EXPIRED, type ButtonArgs, tellPresser } from './share.ts';

export type FeedbackArgs = SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs;

/**
 * 👍/👎 under an answer: ack, record the vote, then thank the voter privately. The button
 * carries the answer's id, which the core resolves to its question, answer and sources.
 */
export async function feedbackAction(deps: ListenerDeps, args: FeedbackArgs): Promise<void> {
  const { ack, action, body } = args;
  await ack();
  const vote = action.action_id === FEEDBACK_UP ? 'up' : 'down';
  const channel: string = body.channel?.id ?? body.container?.channel_id ?? '';
  const tell = tellPresser(args as ButtonArgs);
  try {
    const messageTs: string | undefined = body.message?.ts ?? body.container?.message_ts;
    const feedback = await resolve(deps, action.value, vote, { user: body.user.id, channel }, { ts: messageTs, blocks: body.message?.blocks });
    await deps.assistant.recordFeedback(feedback);
    await tell(renderNotice(vote === 'up' ? 'Thanks for the feedback! 👍' : 'Thanks, noted 👎. The team will look at this answer.'));
  } catch (err) {
    logFailure(deps.logger, err, { action: action.action_id, channel });
    await tell(failureNotice(err)).catch((e: unknown) => deps.logger.warn({ err: e }, 'slack: could not show the failure'));
  }
}

async function resolve(deps: ListenerDeps, value: string | undefined, vote: FeedbackRecord['vote'], voter: { user: string; channel: string }, message: { ts?: string; blocks: unknown }): Promise<FeedbackRecord> {
  // A JSON value: an answer posted without a record carries itself, and its message is the answer voted on.
  if (value?.startsWith('{')) {
    const legacy = decodeFeedbackValue(value);
    if (!legacy || !message.ts) throw new KbError('input/invalid_argument', 'That feedback button is no longer valid; please ask again.');
    const answerId = `message:${voter.channel}:${message.ts}`;
    return { platform: 'slack', vote, answerId, question: legacy.question, answer: answerTextFromBlocks(message.blocks) ?? legacy.answer, citations: legacy.citations, ...voter };
  }
  const feedback = await feedbackFor(deps.actions, value ?? '', vote, voter);
  if (!feedback) throw new KbError('input/invalid_argument', EXPIRED);
  return feedback;
}
