import { Assistant, type App } from '@slack/bolt';
import { AnswerStream } from '../../answerStream.ts';
import { type ListenerDeps, scopeOf } from '../../deps.ts';
import { admit, draftPacer, failureNotice, handleOnce, keepRecord } from '../../delivery.ts';
import { PLACEHOLDER_TEXT, renderAnswer, safePostFlags, safeUpdateFlags, type SlackMessage } from '../../render.ts';
import { plainQuestion } from '../events/mentionText.ts';

const TITLE_MAX = 100;

/**
 * Slack's assistant pane (Bolt's Assistant): a new thread gets suggested prompts from the
 * knowledge base's topics; a message gets the thread's title, a status while the core
 * answers, then the same answer as everywhere else, in the thread. With streaming on, a model's
 * answer streams in (chat.startStream/appendStream/stopStream) and is then replaced by the
 * final answer with its sources and buttons.
 */
export function register(app: App, deps: ListenerDeps): void {
  app.assistant(
    new Assistant({
      threadStarted: async ({ event, setSuggestedPrompts, logger }) => {
        // The pane is a DM with the bot: its scope is the DM's, as for the answers in it.
        const channel = event.assistant_thread.channel_id;
        try {
          const prompts = deps.actions ? await deps.actions.suggestedPrompts(scopeOf(deps.config, channel).scope, 4) : [];
          if (prompts.length) await setSuggestedPrompts({ title: 'Ask the knowledge base, for example:', prompts });
        } catch (err) {
          logger.warn({ err }, 'slack: could not set the suggested prompts');
        }
      },
      userMessage: async ({ message, body, client, context, setTitle, setStatus, say }) => {
        const m = message as { text?: string; user?: string; channel: string; thread_ts?: string; ts: string };
        const question = plainQuestion(m.text ?? '');
        if (!question || !m.user) return;
        const user = m.user;
        const thread = m.thread_ts ?? m.ts;
        await handleOnce(deps, `slack:${(body as { event_id?: string }).event_id ?? m.ts}`, async () => {
          // Before the title and the status: a question turned away gets only the reason.
          await admit(deps, { channel: m.channel, user, question }, (notice) => say({ ...notice, ...safePostFlags }));
          await setTitle(question.length <= TITLE_MAX ? question : `${question.slice(0, TITLE_MAX - 1)}…`);
          await setStatus(PLACEHOLDER_TEXT);
          // The pane is where Slack's streaming methods apply: the answer streams in as a reply.
          const stream = new AnswerStream(client, { channel: m.channel, thread_ts: thread, recipient_user_id: user, ...(context.teamId ? { recipient_team_id: context.teamId } : {}) });
          const pacer = draftPacer(deps, (text) => stream.draft(text));
          /** The final message: it replaces the stream when one was started, else it is a new reply. */
          const deliver = async (final: SlackMessage) => {
            await pacer?.settle();
            const ts = stream.ts;
            if (!ts) {
              await say({ ...final, ...safePostFlags });
              return;
            }
            await stream.stop().catch((err: unknown) => deps.logger.warn({ err }, 'slack: could not stop the answer stream'));
            await client.chat.update({ channel: m.channel, ts, ...final, ...safeUpdateFlags });
          };
          try {
            const conversation = { platform: 'slack' as const, channel: m.channel, thread };
            const { scope, filter } = scopeOf(deps.config, m.channel);
            const answer = await deps.assistant.answer({ question, user: `slack:${user}`, conversation, scope, filter, onDraft: pacer && ((text) => pacer.push(text)), admitted: true });
            const recordId = await keepRecord(deps, { platform: 'slack', question, answer, asker: user, channel: m.channel, scope, conversation });
            await deliver(renderAnswer(answer, { question, recordId, handoff: Boolean(deps.config.handoffResponders?.length) }));
          } catch (err) {
            await deliver(failureNotice(err)).catch((e: unknown) => deps.logger.warn({ err: e }, 'slack: could not show the failure'));
            throw err;
          }
        });
      },
    }),
  );
}
