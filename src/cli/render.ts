import type { Answer } from '../answer/types.ts';
import type { EvalDetail } from '../eval/evaluate.ts';
import type { Retrieval } from '../retrieval/hybridRetriever.ts';

/**
 * C0 controls but newline and tab, DEL, C1 controls (U+009B is a CSI on some terminals) and the
 * bidirectional overrides: text from documents that could move the cursor, retitle the
 * window, clear the screen or reorder what the reader sees.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const TERMINAL_CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** Text as it may be written to a terminal: without control characters (newlines and tabs stay). */
export function terminalSafe(text: string): string {
  return text.replace(TERMINAL_CONTROLS, '');
}

/** Plain-text rendering of an answer for the terminal (no control characters from the documents). */
export function renderAnswer(a: Answer): string {
  return terminalSafe(answerLines(a));
}

function answerLines(a: Answer): string {
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
  return terminalSafe(['', `Retrieval (confidence ${r.confidence.toFixed(2)}):`, ...rows].join('\n'));
}

/** One question of `kb eval --answers --verbose`: its verdict, then the answer a user would read. */
export function renderEvalDetail(d: EvalDetail): string {
  const verdict = d.stated_fact === undefined ? (d.refused ? 'REFUSED' : 'ANSWERED') : d.stated_fact ? 'FACT' : d.refused ? 'REFUSED, MISSED' : 'MISSED';
  const indented = (d.answer ?? '').split('\n').map((l) => `    ${l}`).join('\n');
  return terminalSafe(`[${verdict}] ${d.question}  (rank ${d.rank ?? '-'}, confidence ${d.confidence})\n${indented}\n`);
}
