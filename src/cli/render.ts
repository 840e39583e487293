import type { Answer } from '../answer/types.ts';
import type { EvalDetail } from '../eval/evaluate.ts';
import type { Retrieval } from '../retrieval/hybridRetriever.ts';

/** Plain-text rendering of an answer for the terminal. */
export function renderAnswer(a: Answer): string {
  const lines = [a.text];
  if (a.note) lines.push('', `(${a.note})`);
  if (a.citations.length) {
    lines.push('', 'Sources:');
    for (const c of a.citations) lines.push(`  [${c.n}] ${c.title}`, `      ${c.url ?? c.location}`, `      “${c.snippet}”`);
  }
  return lines.join('\n');
}

export function renderExplain(r: Retrieval): string {
  const rows = r.chunks.map((c, i) => {
    const loc = c.chunk.anchor ? `${c.chunk.source}#${c.chunk.anchor}` : c.chunk.source;
    return `  ${String(i + 1).padStart(2)}. ${loc}  bm25 rank ${c.bm25Rank ?? '-'}  vector rank ${c.vectorRank ?? '-'}  fused ${c.fusedScore.toFixed(4)}`;
  });
  return ['', `Retrieval (confidence ${r.confidence.toFixed(2)}):`, ...rows].join('\n');
}

/** One question of `kb eval --answers --verbose`: its verdict, then the answer a user would read. */
export function renderEvalDetail(d: EvalDetail): string {
  const verdict = d.stated_fact === undefined ? (d.refused ? 'REFUSED' : 'ANSWERED') : d.stated_fact ? 'FACT' : d.refused ? 'REFUSED, MISSED' : 'MISSED';
  const indented = (d.answer ?? '').split('\n').map((l) => `    ${l}`).join('\n');
  return `[${verdict}] ${d.question}  (rank ${d.rank ?? '-'}, confidence ${d.confidence})\n${indented}\n`;
}
