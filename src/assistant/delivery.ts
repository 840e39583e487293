import { failureReport } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { Admission, AnswerActions, AnswerRecord, Assistant, FeedbackRecord } from './types.ts';

/**
 * The delivery policy every adapter follows, so Slack and Discord cannot drift apart: an
 * event is handled once across processes (claim → work → release on failure), a failure is
 * logged by the errors table and the user gets its short message, a question is admitted
 * (rate limit, capacity) before anything is shown for it, and the buttons under an answer
 * carry the id of a record the core keeps.
 */
export interface Delivery {
  /** Log prefix and platform of the records: 'slack' or 'discord'. */
  platform: 'slack' | 'discord';
  logger: Logger;
}

/** Logs a failure at the level the errors table gives its code; returns what the user sees. */
export function logFailure(d: Delivery, err: unknown, fields: Record<string, unknown>): string {
  const report = failureReport(err);
  d.logger[report.level]({ ...fields, code: report.error.code, err: report.cause }, `${d.platform}: could not answer`);
  return report.userMessage;
}

/**
 * Exactly-once handling: runs `work` only for the first delivery of `eventId`. When `work`
 * fails, the failure is logged and the claim released, so a real redelivery is answered. If
 * the claim store is down, the event is handled anyway (a rare duplicate beats a lost
 * question). Returns false for a duplicate.
 */
export async function handleOnce(claims: Pick<Assistant, 'claimEvent' | 'releaseEvent'>, d: Delivery, eventId: string, work: () => Promise<void>): Promise<boolean> {
  let claimed = true;
  try {
    claimed = await claims.claimEvent(eventId);
  } catch (err) {
    d.logger.warn({ eventId, err }, `${d.platform}: could not claim the event; handling it anyway`);
  }
  if (!claimed) {
    d.logger.debug({ eventId }, `${d.platform}: duplicate delivery ignored`);
    return false;
  }
  try {
    await work();
  } catch (err) {
    logFailure(d, err, { eventId });
    await claims.releaseEvent(eventId).catch((releaseErr: unknown) => d.logger.warn({ eventId, err: releaseErr }, `${d.platform}: could not release the event claim`));
  }
  return true;
}

/**
 * Admission before any visible side effect: the question's size, the bot's capacity and the
 * user's rate limit are checked before a placeholder, a thread or a status is shown. A
 * question turned away gets only that error's short message, through `tell`; the error is
 * rethrown, so handleOnce logs it by the errors table. Then `answer({ …, admitted: true })`.
 */
export async function admitOrTell(assistant: Pick<Assistant, 'admit'>, d: Delivery, req: Admission, tell: (userMessage: string) => Promise<unknown>): Promise<void> {
  try {
    await assistant.admit(req);
  } catch (err) {
    await tell(failureReport(err).userMessage).catch((e: unknown) => d.logger.warn({ err: e }, `${d.platform}: could not say why the question was turned away`));
    throw err;
  }
}

/** Keeps what the answer's buttons need; without actions (or if that fails) they carry no id. */
export async function keepRecord(actions: AnswerActions | undefined, d: Delivery, record: AnswerRecord): Promise<string | undefined> {
  if (!actions) return undefined;
  try {
    return await actions.keep(record);
  } catch (err) {
    d.logger.warn({ err }, `${d.platform}: could not keep the answer record; answering without its buttons`);
    return undefined;
  }
}

/**
 * A 👍/👎 on a button carrying an answer id: the vote with the question, answer and sources
 * the core kept. Undefined when the record has expired (or there are no records).
 */
export async function feedbackFor(actions: AnswerActions | undefined, id: string, vote: FeedbackRecord['vote'], voter: { user: string; channel: string }): Promise<FeedbackRecord | undefined> {
  const record = actions ? await actions.recall(id) : undefined;
  if (!record) return undefined;
  const citations = record.answer.citations.map(({ n, title, location, url }) => ({ n, title, location, ...(url ? { url } : {}) }));
  return { platform: record.platform, vote, answerId: id, question: record.question, answer: record.answer.text, citations, user: voter.user, channel: voter.channel };
}
