import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { fill, loadPrompt } from './prompts.ts';
import { STOPWORDS, words } from './textAnalysis.ts';
import type { Turn } from './types.ts';

const GENERIC = new Set('create creating make add set show find write run see list check choose pick tell explain describe happen happens mean means know'.split(' '));
const ANAPHORA = /\b(it|its|it's|they|them|their|this|that|these|those|one|ones|such|there)\b/i;
const TOPIC_SUFFIX = /\s\(about: ([^)]*)\)$/;

function topicOf(standalone: string): string {
  const carried = TOPIC_SUFFIX.exec(standalone);
  if (carried) return carried[1]!;
  const original = standalone.replace(/[?!.]+$/, '');
  const kept = original.split(/\s+/).filter((w) => {
    const lw = words(w)[0];
    return lw !== undefined && !STOPWORDS.has(lw) && !GENERIC.has(lw);
  });
  return kept.join(' ').replace(/[?,.;:!]/g, '');
}

/**
 * Without an LLM, a follow-up that leans on the previous turn ("what are its downsides?",
 * "when is a btree better?") gets the previous turn's topic appended, so retrieval sees
 * both. A question that stands on its own is left alone.
 */
export function condenseDeterministic(question: string, history: Turn[]): string {
  const prev = history[history.length - 1];
  if (!prev) return question;
  const content = words(question).filter((w) => !STOPWORDS.has(w) && !GENERIC.has(w));
  const leans = ANAPHORA.test(question) || content.length <= 2 || /^\s*(and|also|what about|how about|instead|then|why)\b/i.test(question);
  if (!leans) return question;
  const topic = topicOf(prev.question);
  return topic ? `${question.trim()} (about: ${topic})` : question;
}

const condensePrompt = loadPrompt('condense-question');
export const condensePromptVersion = condensePrompt.version;

/** With an LLM: prompts/condense-question.md; falls back to the deterministic rewrite. */
export async function condenseWithModel(model: BaseChatModel, question: string, history: Turn[]): Promise<string> {
  if (!history.length) return question;
  const transcript = history.map((t) => `User: ${t.question}\nAssistant: ${t.answer.slice(0, 600)}`).join('\n');
  const res = await model.invoke(fill(condensePrompt.template, { history: transcript, question }));
  const text = typeof res.content === 'string' ? res.content.trim() : '';
  return text && text.length < 1000 ? text : condenseDeterministic(question, history);
}
