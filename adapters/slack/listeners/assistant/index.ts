import { Assistant, type App } from '@slack/bolt';
import { type ListenerDeps, scopeOf } from '../../deps.ts';
import { failureNotice, handleOnce, keepRecord } from '../../delivery.ts';
import { PLACEHOLDER_TEXT, renderAnswer, safePostFlags } from '../../render.ts';
import { plainQuestion } from '../events/mentionText.ts';

const TITLE_MAX = 100;

/**
 * Slack's assistant pane (Bolt's Assistant): a new thread gets suggested prompts from the
 * knowledge base's topics; a message gets the thread's title, a status while the core
 * answers, then the same answer as everywhere else, in the thread.
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
      userMessage: async ({ message, body, setTitle, setStatus, say }) => {
        const m = message as { text?: string; user?: string; channel: string; thread_ts?: string; ts: string };
        const question = plainQuestion(m.text ?? '');
        if (!question || !m.user) return;
        const thread = m.thread_ts ?? m.ts;
        await handleOnce(deps, `slack:${(body as { event_id?: string }).event_id ?? m.ts}`, async () => {
          await setTitle(question.length <= TITLE_MAX ? question : `${question.slice(0, TITLE_MAX - 1)}…`);
          await setStatus(PLACEHOLDER_TEXT);
          try {
            const conversation = { platform: 'slack' as const, channel: m.channel, thread };
            const { scope, filter } = scopeOf(deps.config, m.channel);
            const answer = await deps.assistant.answer({ question, user: `slack:${m.user}`, conversation, scope, filter });
            const recordId = await keepRecord(deps, { platform: 'slack', question, answer, asker: m.user ?? '', channel: m.channel, scope, conversation });
            await say({ ...renderAnswer(answer, { question, recordId, handoff: Boolean(deps.config.handoffResponders?.length) }), ...safePostFlags });
          } catch (err) {
            await say({ ...failureNotice(err), ...safePostFlags });
            throw err;
          }
        });
      },
    }),
  );
}
