import type { Passage } from './passages.ts';
import { labelName, NAME_AND_PURPOSE } from './passages.ts';
import type { QuestionShape } from './questionKind.ts';
import { cachedStems, contentStems } from './textAnalysis.ts';

/** IDF per term; the words of a purpose clause ("… to make it readable") weigh half: they say why, not what. */
export function termWeightsFor(terms: string[], known: Map<string, number> | undefined, purpose: string[]): Map<string, number> {
  const found = terms.map((t) => known?.get(t)).filter((w): w is number => w !== undefined && w > 0);
  const average = found.length ? found.reduce((a, b) => a + b, 0) / found.length : 1;
  return new Map(terms.map((t) => [t, Math.sqrt(known?.get(t) || average) * (purpose.includes(t) ? 0.5 : 1)]));
}

export const CROSS_REFERENCE = /^(see|refer to|for (more|further|additional) (information|details)|more information|this is (described|discussed|explained) in)\b/i;
export const SECTION_REF = /\s*\((see\s+)?(Section|Chapter|Table|Example|Appendix|Figure)\s+[\dA-Z][\d.]*[^)]*\)/g;
const ANAPHOR = /^(this|these|that|those|it|they|such|also|however|otherwise|then|thus|therefore|in that case|in this case|here)\b/i;
const COPULA = /^(is|are|was|means|refers|stores|provides|keeps|tracks|allows|lets|represents|contains|consists|can be|denotes|describes)\b/i;
/** A sentence that tells how: "by setting …", "use the … command", "To do X, run …". */
const INSTRUCTS = /\b(by (setting|using|running|adding|editing|creating|calling|specifying|writing)|set (the )?[\w.]+ (parameter )?to|use the|use a|run the|you can|you must|you need to|is done (with|by)|can be done)\b|^to \w[^,]{0,60}, (use|run|set|add|create|call|write|issue|execute)\b/i;
const DESCRIBES = /^(controls|sets|specifies|determines|enables|disables|causes|makes|forces|allows|limits|reports|this (option|parameter|setting|is|command|function|clause)|when (set|enabled|on))\b/i;

/**
 * How well one passage answers the question: IDF-weighted coverage of the question's terms
 * (in the passage, its lead sentence, its heading), the chunk's retrieval rank, and what the
 * kind of question wants (a how-to its command, a definition the sentence that opens with
 * the subject, a default the value, a difference both sides named, a purpose the subject's
 * own entry); less for what reads badly out of context.
 */
export function scorePassage(p: Passage, rank: number, stems: Set<string>, heading: Set<string>, terms: string[], weights: Map<string, number>, shape: QuestionShape): number {
  const total = terms.reduce((s, t) => s + weights.get(t)!, 0) || 1;
  const share = (has: (t: string) => boolean) => terms.reduce((s, t) => s + (has(t) ? weights.get(t)! : 0), 0) / total;
  const codeStems = p.code ? new Set(cachedStems(p.code)) : undefined;
  const leadStems = new Set([...(p.label ? cachedStems(p.label) : []), ...cachedStems(p.sentences[0] ?? '')]);
  const labelStems = p.label ? new Set(cachedStems(p.label)) : undefined;
  const coverage = share((t) => stems.has(t)) + 0.5 * share((t) => !stems.has(t) && (codeStems?.has(t) ?? false));
  const leadCoverage = share((t) => leadStems.has(t));
  const headingCoverage = share((t) => heading.has(t) && !stems.has(t));
  let score = 0.45 * coverage + 0.2 * leadCoverage + 0.2 * headingCoverage + 0.45 / (1 + 0.6 * rank);
  if (labelStems) score += 0.1 * share((t) => labelStems.has(t)) + LABEL_PRECISION * labelPrecision(p.label!, terms);

  const first = p.sentences[0] ?? '';
  const prose = p.sentences.join(' ');
  const subject = shape.subject.filter((t) => !CATEGORY.has(t));
  const subjectIn = (text: string) => {
    const has = new Set(cachedStems(text));
    return subject.length ? subject.filter((t) => has.has(t)).length / subject.length : 0;
  };
  const doesIt = namesTheAction(p, shape);
  // A C declaration answers a question about the C interfaces, not one asked in SQL terms.
  const foreignCode = !shape.aboutC && [p.code, p.nextCode].some((c) => c && C_DECLARATION.test(c));
  switch (shape.kind) {
    case 'howto':
      if (p.code && !foreignCode) score += 0.12 + 0.3 * (codeStems ? share((t) => codeStems.has(t)) : 0);
      if (INSTRUCTS.test(prose)) score += 0.08;
      // The entry that says it does it, or a sentence naming the command that does (`pg_ctl promote`).
      if (doesIt || (shape.action && commandNamed(`${p.label ?? ''} ${prose}`, shape.action))) score += ACTION_BONUS;
      // "How do I concatenate …" is not answered by a passage that concatenates nothing.
      else if (shape.action && !stems.has(shape.action) && !(codeStems?.has(shape.action) ?? false)) score -= ACTION_MISSING;
      break;
    case 'definition':
      if (defines(p.sentences, shape)) score += 0.35;
      if (p.opensSection && headingCoversSubject(heading, shape)) score += 0.2;
      break;
    case 'default': {
      // The value's sentence often names nothing ("The default is 128MB."): the passage around it does.
      const sentence = p.sentences.find((x) => DEFAULT_VALUE.test(x));
      if (sentence) score += 0.1 + 0.3 * Math.max(subjectIn(sentence), p.label ? subjectIn(p.label) : 0, 0.7 * subjectIn(`${p.label ?? ''} ${prose}`));
      break;
    }
    case 'difference': {
      // Named in what the passage says, not in a signature's argument types.
      const said = new Set(p.sentences.flatMap((x) => cachedStems(x)));
      const named = shape.sides.filter((side) => side.every((t) => said.has(t) || (codeStems?.has(t) ?? false))).length;
      // A function's entry in a signature table names types, it does not compare them.
      const signature = !!p.label && SIGNATURE.test(p.label);
      if (named >= 2 && !signature) score += 0.15 + 0.08 * Math.min(named, 3);
      // "The major practical difference is one of efficiency": the sentence that settles it.
      if (DIFFERS.test(prose)) score += 0.2;
      break;
    }
    case 'purpose':
      if (p.label && subjectIn(p.label) >= 0.5) score += 0.3 * subjectIn(p.label);
      if (DESCRIBES.test(first)) score += 0.08;
      if (defines(p.sentences, shape)) score += 0.15;
      break;
    default:
      if (defines(p.sentences, shape)) score += 0.1;
      break;
  }
  if (foreignCode) score -= C_PENALTY;
  // A reference page's "NAME — purpose" line answers only for the name asked about.
  if (NAME_AND_PURPOSE.test(first) && labelPrecision(first.split('—')[0]!, terms) < 1 && !doesIt) score -= 0.35;
  if (!p.sentences.length) score -= shape.kind === 'howto' ? 0.1 : 0.25;
  // A label's description is best read from its start.
  if (p.label && !p.opensParagraph) score -= 0.12;
  if (!p.core) score -= 0.05;
  if (!p.opensParagraph && ANAPHOR.test(first)) score -= 0.12;
  if (CROSS_REFERENCE.test(first)) score -= 0.3;
  const last = p.sentences[p.sentences.length - 1] ?? '';
  if (!p.code && /:\s*$/.test(last)) score -= 0.15;
  if (!p.code && /^for example\b/i.test(first)) score -= 0.2;
  const chars = prose.length + (p.code?.length ?? 0) * 0.4;
  if (chars > 420) score -= (chars - 420) / 1500;
  return score;
}

/**
 * An entry that says it does what a how-to asks for: a function or option whose description
 * opens with the question's verb (`string_agg (…)`: "Concatenates the non-null input values…"
 * for "how do I concatenate …"), or a reference page's "pg_isready — check the connection status…".
 */
function namesTheAction(p: Passage, shape: QuestionShape): boolean {
  if (!shape.action) return false;
  const first = p.sentences[0] ?? '';
  const opening = p.label ? first : NAME_AND_PURPOSE.test(first) ? first.split('—').slice(1).join('—').trim() : undefined;
  if (opening === undefined) return false;
  return cachedStems(opening.split(/\s+/).slice(0, 2).join(' '))[0] === shape.action;
}
const ACTION_BONUS = 0.3;

/**
 * The text names a command after the action: a backslash command (`\\copy` for "copy"), a
 * function whose name ends with it (`pg_promote()`), or a pg_ program's subcommand (`pg_ctl
 * promote`). A setting does not count, whether it contains the word
 * (`client_connection_check_interval`) or ends with it (`wal_compression (enum)`), nor do
 * upper-case keywords, which are everywhere.
 */
function commandNamed(text: string, action: string): boolean {
  const is = (word: string | undefined) => !!word && cachedStems(word)[0] === action;
  for (const m of text.matchAll(/\\([a-z]+)/g)) if (is(m[1])) return true;
  for (const m of text.matchAll(SETTING_OR_FUNCTION)) if (!SETTING_TYPE.test(m[2]!) && is(m[1])) return true;
  for (const m of text.matchAll(/\bpg_[a-z]+ ([a-z]+)\b/g)) if (is(m[1])) return true;
  return false;
}

/** `name_suffix (` and what follows the parenthesis: a function's arguments, or a setting's type. */
const SETTING_OR_FUNCTION = /\b\w*_([a-z]+)\s*\(([^)]*)/g;
const SETTING_TYPE = /^\s*(boolean|integer|enum|string|real|floating point|text)\s*$/;
const ACTION_MISSING = 0.1;

/** A C prototype or declaration: `int PQntuples(const PGresult *res);`, `char *PQgetvalue(…`. */
const C_DECLARATION = /^(?:```\w*\n)?\s*(?:(?:const|unsigned|static|extern|struct)\s+)*(?:void|int|char|bool|long|short|double|float|size_t|Oid|PG[A-Za-z]+|[A-Z][a-z]+(?:[A-Z][a-z]*)*|\w+_t)\s*\**\s*\w+\s*\([^)]*\)?\s*;?/;
const C_PENALTY = 0.25;

/** Weight of a label that names only what the question names. */
const LABEL_PRECISION = 0.2;

/**
 * Share of a label's name (before its argument list or type) that the question names: 1 for
 * `work_mem (integer)` or `FOR UPDATE` asked about by name, less for the longer names that
 * contain them (`logical_decoding_work_mem`, `FOR NO KEY UPDATE`); 0 when none of it is asked.
 */
export function labelPrecision(label: string, terms: readonly string[]): number {
  const stems = contentStems(labelName(label));
  if (!stems.length) return 0;
  const matched = stems.filter((t) => terms.includes(t)).length;
  return matched / stems.length;
}

/** A function's signature as the manual's tables give it: `jsonb_insert ( … ) → jsonb`. */
const SIGNATURE = /→|\w\s*\(.*\)/;

const DIFFERS = /\b(differences?|differs?|differ(ent|ently) from|unlike|whereas|in contrast|compared (to|with))\b/i;

/** A sentence that states a default: "The default is 128MB", "defaults to on", "… (the default)". */
const DEFAULT_VALUE = /\b(the )?default( value| setting)? (is|was)\b|\bdefaults? to\b|\bis the default\b|\(the default\)|\bby default\b|\bdefault:/i;

/** "A tablespace is …", "Event triggers are …", "TRUNCATE quickly removes …", "… is called the visibility map". */
function defines(sentences: string[], shape: QuestionShape): boolean {
  const subject = shape.subject.filter((t) => !CATEGORY.has(t));
  if (!subject.length) return false;
  return sentences.slice(0, 2).some((s) => {
    // "Unlike regular triggers, …, event triggers are global": any clause may open with it.
    if (s.split(/[,;]\s+/).some((clause, i) => opensWith(clause, subject, i > 0))) return true;
    const tail = /\b(called|known as|referred to as|termed|has an?|have an?|uses an?|maintains an?)\s+(.{3,60})/i.exec(s);
    if (!tail) return false;
    // "… an optimization called heap-only tuples (HOT)": the name, or the abbreviation after it.
    const named = contentStems(tail[2]!.split(/[,;]|\)/)[0]!);
    return subject.every((t) => named.includes(t)) || (!!shape.key && named.includes(shape.key) && /\(/.test(tail[2]!.split(/[,;]/)[0]!));
  });
}

/**
 * The clause opens with the subject ("A tablespace is", not "CREATE TABLESPACE is") and a
 * verb follows, or a copula follows it later; a later clause of its sentence needs the copula.
 */
function opensWith(clause: string, subject: string[], needsCopula: boolean): boolean {
  const words = clause.split(/\s+/);
  const before = new Set<string>();
  for (let i = 1; i < Math.min(words.length, 25); i++) {
    for (const t of cachedStems(words[i - 1]!)) before.add(t);
    if (!subject.every((t) => before.has(t))) continue;
    if (![...before].every((t) => subject.includes(t))) return false;
    return (!needsCopula && i <= subject.length + 1) || COPULA.test(words.slice(i).join(' '));
  }
  return false;
}

/** Words naming what kind of thing the subject is ("the TRUNCATE command"), not the subject. */
// Porter stems of command, setting, option, parameter, function, clause, statement, feature, type,
// mode, keyword, variable, configuration, and (in "what is the default value of X") default and value.
const CATEGORY = new Set(['command', 'set', 'option', 'paramet', 'function', 'claus', 'statement', 'featur', 'type', 'mode', 'keyword', 'variabl', 'configur', 'default', 'valu']);

/** A section headed by the subject, or by its most specific word ("Heap-Only Tuples (HOT)" for a HOT update). */
function headingCoversSubject(heading: Set<string>, shape: QuestionShape): boolean {
  return shape.subject.length > 0 && (shape.subject.every((t) => heading.has(t)) || (!!shape.key && heading.has(shape.key)));
}

/** The subject's stem with the highest weight (the rarest): what a definition must name. */
export function keyTerm(shape: QuestionShape, weights: Map<string, number>): string | undefined {
  const subject = shape.subject.filter((t) => !CATEGORY.has(t) && weights.has(t));
  return subject.reduce<string | undefined>((best, t) => (best === undefined || weights.get(t)! > weights.get(best)! ? t : best), undefined);
}
