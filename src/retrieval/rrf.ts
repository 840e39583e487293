export interface RankedList {
  ids: string[];
  weight: number;
}

export interface Fused {
  id: string;
  score: number;
  ranks: (number | undefined)[];
}

/**
 * Reciprocal rank fusion keyed by chunk id: score = Σ weight / (k + rank). Ties break on
 * the numeric chunk id, so the order is deterministic.
 */
export function reciprocalRankFusion(lists: RankedList[], k = 60): Fused[] {
  const byId = new Map<string, Fused>();
  lists.forEach((list, li) => {
    list.ids.forEach((id, i) => {
      let f = byId.get(id);
      if (!f) {
        f = { id, score: 0, ranks: lists.map(() => undefined) };
        byId.set(id, f);
      }
      if (f.ranks[li] !== undefined) return;
      f.ranks[li] = i + 1;
      f.score += list.weight / (k + i + 1);
    });
  });
  return [...byId.values()].sort((a, b) => b.score - a.score || compareIds(a.id, b.id));
}

export function compareIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

/**
 * Keeps the fused order but lets each document contribute at most `perDocument` chunks,
 * so one long page cannot fill every slot.
 */
export function limitPerDocument<T>(items: T[], documentOf: (t: T) => string, perDocument: number, k: number): T[] {
  const counts = new Map<string, number>();
  const out: T[] = [];
  for (const item of items) {
    const d = documentOf(item);
    const n = counts.get(d) ?? 0;
    if (n >= perDocument) continue;
    counts.set(d, n + 1);
    out.push(item);
    if (out.length >= k) break;
  }
  return out;
}
