import { DEFAULT_SUPPORT_RULES, type SupportRules } from '../src/config.ts';

/**
 * Support channels are answered without a mention, so here silence beats noise: only a
 * message that looks like a question is taken (long enough, and with a "?" unless that
 * rule is off). Shared by the Slack and Discord adapters.
 */
export function looksLikeQuestion(text: string, rules: SupportRules = DEFAULT_SUPPORT_RULES): boolean {
  const t = text.replace(/\s+/g, ' ').trim();
  if (t.length < rules.minChars) return false;
  return !rules.requireQuestionMark || t.includes('?');
}
