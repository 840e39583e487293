import { contentStems } from '../answer/textAnalysis.ts';

export interface GapQuestion {
  /** The question as searched (follow-ups rewritten to stand alone). */
  text: string;
  refused: boolean;
  at: Date;
}

export interface GapGroup {
  /** The most frequent wording of the group. */
  question: string;
  count: number;
  /** Other wordings grouped with it, most frequent first (at most 5). */
  variants: string[];
  refused: number;
  lowConfidence: number;
  lastAsked: Date;
}

/** Two questions are near-duplicates when this share of their content terms is common (Jaccard). */
export const NEAR_DUPLICATE = 0.5;

function jaccard(a: Set<string>, b: Set<string>): number {
  let common = 0;
  for (const t of a) if (b.has(t)) common++;
  const union = a.size + b.size - common;
  return union ? common / union : 0;
}

interface Wording {
  text: string;
  terms: Set<string>;
  items: GapQuestion[];
  /** How often each exact wording was asked: the most frequent one names the group. */
  texts: Map<string, number>;
}

/**
 * Groups questions that ask for the same thing: first by identical stemmed content terms
 * ("How do I create a partial index?" = "creating partial indexes"), then each wording joins
 * the first group, most frequent first, whose wording shares at least half its terms with
 * it. Groups are sorted by how often they were asked, then by the last time.
 */
export function groupNearDuplicates(questions: GapQuestion[], threshold = NEAR_DUPLICATE): GapGroup[] {
  const byTerms = new Map<string, Wording>();
  for (const q of questions) {
    const terms = new Set(contentStems(q.text));
    const key = terms.size ? [...terms].sort().join(' ') : q.text.trim().toLowerCase();
    let w = byTerms.get(key);
    if (!w) byTerms.set(key, (w = { text: '', terms, items: [], texts: new Map() }));
    w.items.push(q);
    const text = q.text.trim();
    w.texts.set(text, (w.texts.get(text) ?? 0) + 1);
  }
  // Ties go to the wording seen first (questions come newest first).
  for (const w of byTerms.values()) w.text = [...w.texts].reduce((best, cur) => (cur[1] > best[1] ? cur : best))[0];
  const wordings = [...byTerms.values()].sort((a, b) => b.items.length - a.items.length || a.text.localeCompare(b.text));
  const groups: Array<{ head: Wording; members: Wording[] }> = [];
  for (const w of wordings) {
    const home = w.terms.size ? groups.find((g) => jaccard(g.head.terms, w.terms) >= threshold) : undefined;
    if (home) home.members.push(w);
    else groups.push({ head: w, members: [w] });
  }
  return groups
    .map(({ head, members }) => {
      const items = members.flatMap((m) => m.items);
      return {
        question: head.text,
        count: items.length,
        variants: members
          .flatMap((m) => [...m.texts].map(([text, n]) => ({ text, n })))
          .filter((v) => v.text !== head.text)
          .sort((a, b) => b.n - a.n)
          .slice(0, 5)
          .map((v) => v.text),
        refused: items.filter((i) => i.refused).length,
        lowConfidence: items.filter((i) => !i.refused).length,
        lastAsked: new Date(Math.max(...items.map((i) => i.at.getTime()))),
      };
    })
    .sort((a, b) => b.count - a.count || b.lastAsked.getTime() - a.lastAsked.getTime());
}
