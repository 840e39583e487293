import { stemmer } from 'stemmer';

/** Words that carry no topic in a question. */
export const STOPWORDS = new Set(
  'a an and are as at be been but by can could did do does doing for from had has have how i if in into is it its itself me my of on or our should so than that the their them then there these they this those to too use used using was we what when where which while who whom why will with would you your yours about also any each just like may might must not no nor only other same some such very way want need get make difference between best good better work works'.split(' '),
);

/** Lower-case words; an identifier like default_transaction_isolation also yields its parts. */
export function words(text: string): string[] {
  const out: string[] = [];
  for (const w of text.toLowerCase().match(/[a-z][a-z0-9_]*|\d+[a-z][a-z0-9_]*/g) ?? []) {
    out.push(w);
    if (w.includes('_')) for (const part of w.split('_')) if (part) out.push(part);
  }
  return out;
}

const stemMemo = new Map<string, string>();

/** Porter stem, remembered: an extractive answer stems the same words many times over. */
function stem(word: string): string {
  let s = stemMemo.get(word);
  if (s === undefined) {
    if (stemMemo.size >= 50_000) stemMemo.clear();
    s = stemmer(word);
    stemMemo.set(word, s);
  }
  return s;
}

/** Stemmed content terms of a text (stopwords removed). */
export function contentStems(text: string): string[] {
  return words(text)
    .filter((w) => !STOPWORDS.has(w) && w.length > 1)
    .map(stem);
}

/** Sentences of a prose block; code blocks are returned whole as one item. */
export function sentences(block: string): string[] {
  if (block.startsWith('```')) return [block];
  return block
    .split(/(?<=[.!?])\s+(?=[A-Z(“"'`])/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

const textMemo = new Map<string, string[]>();

/**
 * contentStems, remembered for recent texts: an extractive answer scores each sentence in
 * several overlapping passages. Callers must not modify the array.
 */
export function cachedStems(text: string): readonly string[] {
  let stems = textMemo.get(text);
  if (!stems) {
    if (textMemo.size >= 20_000) textMemo.clear();
    stems = contentStems(text);
    textMemo.set(text, stems);
  }
  return stems;
}
