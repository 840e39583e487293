import { contentStems } from './textAnalysis.ts';

/**
 * What a question asks for decides which passage answers it: a how-to wants the statement
 * or command, "what is X" the defining sentence, "what is the default" the sentence with
 * the value, a difference the sentence naming both sides, "what does X do" X's description.
 */
export type QuestionKind = 'howto' | 'definition' | 'default' | 'difference' | 'purpose' | 'yesno' | 'other';

export interface QuestionShape {
  kind: QuestionKind;
  /** Stems of what the question is about ("partial index", "tablespace", "deadlock_timeout"). */
  subject: string[];
  /** For a difference question: the stems of each side compared. */
  sides: string[][];
  /** Stems of a purpose clause ("… to make a long query readable"): why, not what. */
  purpose: string[];
  /** The question asks about a C interface (libpq, ECPG, a C function or callback). */
  aboutC: boolean;
  /** For a how-to: the stem of what is to be done ("concatenate" → `concaten`), unless the verb says little ("make", "get"). */
  action?: string;
  /** The subject's most specific stem (rarest in the knowledge base), once term weights are known. */
  key?: string;
}

const HOWTO = /^\s*(how\s+(do|can|should|would)\s+(i|you|we|one)|how\s+to|what('s| is)\s+the\s+(syntax|command|way)|show\s+me|give\s+me|write\s|create\s|is\s+there\s+a\s+way|can\s+i\s)/i;
const DEFAULT = /\bdefaults?\b/i;
const DIFFERENCE = /\b(difference|differences|differ|compared?\s+(to|with)|versus|vs\.?)\b/i;
const PURPOSE = /^\s*(what\s+(does|do)\s+(.+?)\s+(do|mean|control|affect)\b|what\s+(is|are)\s+(.+?)\s+(used|good)\s+for\b|what\s+is\s+the\s+(purpose|point|use)\s+of\b|why\s+(use|would))/i;
const DEFINITION = /^\s*(what\s+(is|are|'s)\s+(an?\s+|the\s+)?|what\s+does\s+.+\s+mean|define\s|explain\s)/i;
const ABOUT_C = /\b(C|libpq|ecpg|embedded SQL|C\+\+|callbacks?|header|struct|pointer)\b/;
/** "How do I concatenate …", "how to promote …", "can I restore …": the verb after the opening. */
const ACTION = /^\s*(?:how\s+(?:do|can|should|would)\s+(?:i|you|we|one)|how\s+to|can\s+i|is\s+there\s+a\s+way\s+to)\s+([a-z]+)\b(?:\s+([a-z]+))?(?:\s+([a-z]+))?/i;
/** Adverbs that may come before the verb ("how can I quickly copy …"). */
const ADVERBS = new Set(['quickly', 'easily', 'safely', 'automatically', 'manually', 'properly', 'correctly', 'efficiently', 'permanently', 'temporarily', 'completely', 'only', 'just', 'actually', 'really', 'best', 'still', 'also']);
/** Verbs that name no particular operation: the rest of the question does. */
const VAGUE_ACTIONS = new Set(['make', 'get', 'see', 'find', 'do', 'have', 'know', 'tell', 'go', 'use', 'keep', 'let', 'put', 'give', 'take', 'look', 'work', 'deal', 'handle', 'avoid', 'stop', 'start', 'write', 'set', 'change', 'configure', 'turn']);
/** A particle after the verb makes another verb ("back up", "shut down", "clean up"), spelt in text as one word or two. */
const PARTICLE = /^(up|down|off|out|back)$/i;
const YESNO = /^\s*(is|are|can|does|do|should|will|must)\s/i;

export function questionShape(question: string): QuestionShape {
  const q = question.trim();
  let kind: QuestionKind = 'other';
  if (DIFFERENCE.test(q)) kind = 'difference';
  else if (DEFAULT.test(q) && /^\s*(what|which)/i.test(q)) kind = 'default';
  else if (PURPOSE.test(q)) kind = 'purpose';
  else if (HOWTO.test(q)) kind = 'howto';
  else if (DEFINITION.test(q)) kind = 'definition';
  else if (YESNO.test(q)) kind = 'yesno';

  const subjectText = q
    .replace(/^\s*(what|which|how|why|when|where|who)\s+((is|are|does|do|can|should|'s)\s+)?((an?|the)\s+)?/i, '')
    .replace(/\b(used|good)\s+for\b.*$|\b(do|mean)\s*\?*$/i, '')
    .replace(/[?!.]+\s*$/, '');
  const sides =
    kind === 'difference'
      ? (subjectText.split(/\bbetween\b/i)[1] ?? subjectText)
          .split(/\s*(?:,|\band\b|\bor\b|\bvs\.?|\bversus\b)\s*/i)
          .map((s) => contentStems(s))
          .filter((s) => s.length)
      : [];
  // "to" followed by a verb rather than a determiner starts a purpose clause ("to make …",
  // "to become …"); "to an existing publication" is part of what is asked.
  const purposeMatch = /\s(?:to|so that|in order to)\s+(?!(?:a|an|the|my|our|its|their|this|that|these|those|all|each|every|one|another|some|any|\d)\b)([a-z]\w*\b.*)$/i.exec(subjectText);
  const purpose = kind === 'howto' && purposeMatch ? contentStems(purposeMatch[1]!) : [];
  // "How can I quickly copy …": the adverb is skipped; a phrasal verb ("back up") is left unnamed.
  const m = kind === 'howto' ? ACTION.exec(q) : null;
  const [verb, next] = (m && ADVERBS.has(m[1]!.toLowerCase()) ? [m[2], m[3]] : [m?.[1], m?.[2]]).map((w) => w?.toLowerCase());
  const action = verb && !VAGUE_ACTIONS.has(verb) && !PARTICLE.test(next ?? '') ? contentStems(verb)[0] : undefined;
  return { kind, subject: contentStems(subjectText), sides, purpose, aboutC: ABOUT_C.test(q), action };
}
