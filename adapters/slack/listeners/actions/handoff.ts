import { ANSWER_RECORD_TTL_S } from '../../../../src/assistant/answerActions.ts';
import type { Handoff } from '../../../../src/assistant/types.ts';
import { KbError } from '../../../../src/errors.ts';
import type { ListenerDeps } from '../../deps.ts';
import { failureNotice, logFailure } from '../../delivery.ts';
import { escapeMrkdwn, slackLink, truncateMrkdwn, userMention } from '../../mrkdwn.ts';
import { type Block, renderNotice, safePostFlags, safeUpdateFlags, SECTION_TEXT_LIMIT, type SlackMessage } from '../../render.ts';
import { type ButtonArgs, recordFor, tellPresser } from './share.ts';

export const RESOLVE_ACTION = 'kb_resolved';

/** A responder id as a mention: users as <@U…>, user groups as <!subteam^S…>. Nothing else pings. */
function responderMention(id: string): string {
  return id.startsWith('S') ? `<!subteam^${id}>` : userMention(id);
}

/** The hand-off message: the only message the bot sends that mentions anyone, and only the responders. */
export function renderHandoff(h: Handoff): SlackMessage {
  const who = h.responders.map(responderMention).join(' ');
  const sources = h.citations.length ? h.citations.map((c) => `• ${slackLink(c.url, `${c.n}. ${c.title}`)}${c.url ? '' : ` — ${escapeMrkdwn(c.location)}`}`).join('\n') : '_none: the knowledge base had nothing solid_';
  const question = truncateMrkdwn(escapeMrkdwn(h.question), 1500);
  // The asker is not mentioned: this message pings the responders and no one else.
  const text = `${who} a human is needed for this question:\n>${question.replace(/\n/g, '\n>')}`;
  const blocks: Block[] = [
    { type: 'section', text: { type: 'mrkdwn', text: truncateMrkdwn(text, SECTION_TEXT_LIMIT), verbatim: true } },
    { type: 'section', text: { type: 'mrkdwn', text: truncateMrkdwn(`*Sources tried*\n${sources}`, SECTION_TEXT_LIMIT), verbatim: true } },
    { type: 'actions', block_id: 'kb_handoff', elements: [{ type: 'button', action_id: RESOLVE_ACTION, text: { type: 'plain_text', text: 'Resolved' }, style: 'primary', value: h.id }] },
  ];
  return { text: truncateMrkdwn(text, 3000), blocks };
}

/**
 * "I need a human", pressed by the asker: records the hand-off and posts, in the answer's
 * thread, a message mentioning exactly the configured responders, with the question and
 * the sources tried. Once per answer.
 */
export async function handoffAction(deps: ListenerDeps, args: ButtonArgs): Promise<void> {
  const { ack, action, body, client } = args;
  await ack();
  const tell = tellPresser(args);
  const claimKey = `slack:handoff:${action.value ?? ''}`;
  let claimed = false;
  try {
    const { record, actions } = await recordFor(deps, action.value);
    const responders = deps.config.handoffResponders ?? [];
    if (!responders.length) throw new KbError('input/invalid_argument', 'No one is set up to take questions from the bot here.');
    if (record.asker !== body.user.id) throw new KbError('input/invalid_argument', 'Only the person who asked can ask for a human.');
    claimed = await deps.assistant.claimEvent(claimKey, ANSWER_RECORD_TTL_S);
    if (!claimed) return void (await tell(renderNotice('A human has already been asked about this answer.')));
    // Under a posted answer: its thread. Under a private answer there is none: the channel.
    const thread: string | undefined = body.message ? (body.message.thread_ts ?? body.message.ts) : undefined;
    const handoff = await actions.openHandoff({ platform: 'slack', channel: record.channel, thread, asker: record.asker, question: record.question, citations: record.answer.citations.map(({ n, title, location, url }) => ({ n, title, location, url })), responders });
    await client.chat.postMessage({ channel: record.channel, thread_ts: thread, ...renderHandoff(handoff), ...safePostFlags });
    await tell(renderNotice('I have asked a human to help; they will reply in the thread.'));
  } catch (err) {
    if (claimed) await deps.assistant.releaseEvent(claimKey).catch(() => undefined);
    logFailure(deps.logger, err, { action: action.action_id });
    await tell(failureNotice(err)).catch((e: unknown) => deps.logger.warn({ err: e }, 'slack: could not show the failure'));
  }
}

/** "Resolved" on a hand-off message: closes it and says who did, in place of the button. */
export async function resolveAction(deps: ListenerDeps, args: ButtonArgs): Promise<void> {
  const { ack, action, body, client } = args;
  await ack();
  const tell = tellPresser(args);
  try {
    const result = deps.actions ? await deps.actions.resolveHandoff(action.value ?? '', body.user.id) : undefined;
    if (!result) throw new KbError('input/invalid_argument', 'That hand-off no longer exists.');
    if (!result.changed) return void (await tell(renderNotice(`Already resolved by ${userMention(result.handoff.resolvedBy ?? 'someone')}.`)));
    const channel = body.channel?.id ?? body.container?.channel_id;
    const message = body.message;
    if (channel && message?.ts) {
      const kept = ((message.blocks ?? []) as Block[]).filter((b) => b.type !== 'actions');
      const done: Block = { type: 'context', elements: [{ type: 'mrkdwn', text: `:white_check_mark: Resolved by ${userMention(body.user.id)}`, verbatim: true }] };
      await client.chat.update({ channel, ts: message.ts, text: message.text ?? 'Hand-off resolved', blocks: [...kept, done], ...safeUpdateFlags });
    }
  } catch (err) {
    logFailure(deps.logger, err, { action: action.action_id });
    await tell(failureNotice(err)).catch((e: unknown) => deps.logger.warn({ err: e }, 'slack: could not show the failure'));
  }
}
