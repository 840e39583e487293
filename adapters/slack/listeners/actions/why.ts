import type { Explanation } from '../../../../src/assistant/types.ts';
import type { ListenerDeps } from '../../deps.ts';
import { failureNotice, logFailure } from '../../delivery.ts';
import { escapeMrkdwn, slackLink, truncateMrkdwn } from '../../mrkdwn.ts';
import { SECTION_TEXT_LIMIT, type SlackMessage } from '../../render.ts';
import { type ButtonArgs, recordFor, tellPresser } from './share.ts';

/** The ranks behind an answer, as `kb ask --explain` prints them. */
export function renderExplanation(e: Explanation): SlackMessage {
  const lines = e.sources.map((s, i) => {
    const label = `${i + 1}. ${s.title}`;
    const name = s.url ? slackLink(s.url, label) : `${escapeMrkdwn(label)} — ${escapeMrkdwn(s.location)}`;
    const cited = s.n !== undefined ? ` · cited as [${s.n}]` : '';
    return `${name}\nBM25 rank ${s.bm25Rank ?? '–'} · vector rank ${s.vectorRank ?? '–'} · fused ${s.fusedScore.toFixed(4)}${cited}`;
  });
  const text = truncateMrkdwn([`*Why these sources* (evidence ${e.confidence.toFixed(2)})`, ...lines].join('\n'), SECTION_TEXT_LIMIT);
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text, verbatim: true } }] };
}

/** "Why these sources": each retrieved source's ranks, shown only to the person who pressed it. */
export async function whyAction(deps: ListenerDeps, args: ButtonArgs): Promise<void> {
  const { ack, action } = args;
  await ack();
  const tell = tellPresser(args);
  try {
    const { record, actions } = await recordFor(deps, action.value);
    await tell(renderExplanation(await actions.explain(record)));
  } catch (err) {
    logFailure(deps.logger, err, { action: action.action_id });
    await tell(failureNotice(err)).catch((e: unknown) => deps.logger.warn({ err: e }, 'slack: could not show the failure'));
  }
}
