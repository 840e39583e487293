import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { KbError } from '../../../../src/errors.ts';
import type { ListenerDeps } from '../../deps.ts';
import { failureNotice, logFailure } from '../../delivery.ts';
import { answerTextFromBlocks, decodeFeedbackValue, FEEDBACK_UP, renderNotice, type SlackMessage } from '../../render.ts';

export type FeedbackArgs = SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs;

/** 👍/👎 under an answer: ack, record the vote, then thank the voter privately. */
export async function feedbackAction(deps: ListenerDeps, { ack, action, body, respond, client }: FeedbackArgs): Promise<void> {
  await ack();
  const vote = action.action_id === FEEDBACK_UP ? 'up' : 'down';
  const channel: string = body.channel?.id ?? body.container?.channel_id ?? '';
  const user = body.user.id;
  const threadTs: string | undefined = body.message?.thread_ts;

  const tell = async (msg: SlackMessage): Promise<void> => {
    // A normal message: an ephemeral reply next to it. An ephemeral answer has no message: use response_url.
    if (body.message && channel) await client.chat.postEphemeral({ channel, user, thread_ts: threadTs, ...msg });
    else await respond({ response_type: 'ephemeral', replace_original: false, ...msg });
  };

  try {
    const value = decodeFeedbackValue(action.value);
    if (!value) throw new KbError('input/invalid_argument', 'That feedback button is no longer valid; please ask again.');
    const answer = answerTextFromBlocks(body.message?.blocks) ?? value.answer;
    await deps.assistant.recordFeedback({ platform: 'slack', vote, question: value.question, answer, citations: value.citations, user, channel });
    await tell(renderNotice(vote === 'up' ? 'Thanks for the feedback! 👍' : 'Thanks, noted 👎. The team will look at this answer.'));
  } catch (err) {
    logFailure(deps.logger, err, { action: action.action_id, channel });
    await tell(failureNotice(err)).catch((e: unknown) => deps.logger.warn({ err: e }, 'slack: could not show the failure'));
  }
}
