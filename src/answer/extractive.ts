import type { RetrievedChunk } from '../retrieval/hybridRetriever.ts';
import { contentStems, sentences } from './textAnalysis.ts';

interface Candidate {
  chunkIndex: number;
  position: number;
  text: string;
  score: number;
  code?: string;
}

/**
 * Without an LLM: picks the sentences of the top chunks that best answer the question
 * (most question terms, short, from higher-ranked chunks), each followed by a `[k]`
 * marker pointing at its chunk. For "how do I" questions the code block that follows the
 * best sentence comes along, since the example is usually the answer.
 */
export function extractiveAnswer(question: string, chunks: RetrievedChunk[], options = { sentences: 3, chunks: 4 }): string {
  const q = new Set(contentStems(question));
  const candidates: Candidate[] = [];
  chunks.slice(0, options.chunks).forEach((c, chunkIndex) => {
    const heading = new Set(contentStems(`${c.chunk.title} ${c.chunk.heading}`));
    const items = c.chunk.content.split(/\n{2,}/).flatMap(sentences);
    items.forEach((text, position) => {
      if (text.startsWith('```')) {
        const prev = candidates[candidates.length - 1];
        if (prev && prev.chunkIndex === chunkIndex && !prev.code && text.length < 900) prev.code = text;
        return;
      }
      const stems = contentStems(text);
      if (stems.length < 3 || text.length > 600) return;
      const present = new Set(stems.filter((s) => q.has(s)));
      const headingHits = [...q].filter((s) => heading.has(s) && !present.has(s)).length;
      const overlap = present.size + 0.3 * headingHits;
      if (overlap === 0) return;
      const lengthPenalty = 1 + Math.max(0, stems.length - 30) / 30;
      const score = overlap / lengthPenalty / (1 + 0.25 * chunkIndex) + 0.6 / (chunkIndex + 1) + (position === 0 ? 0.2 : 0);
      candidates.push({ chunkIndex, position, text, score });
    });
  });
  const chosen: Candidate[] = [];
  const perChunk = new Map<number, number>();
  for (const c of [...candidates].sort((a, b) => b.score - a.score || a.chunkIndex - b.chunkIndex || a.position - b.position)) {
    if ((perChunk.get(c.chunkIndex) ?? 0) >= 2) continue;
    if (chosen.some((x) => x.text === c.text)) continue;
    chosen.push(c);
    perChunk.set(c.chunkIndex, (perChunk.get(c.chunkIndex) ?? 0) + 1);
    if (chosen.length >= options.sentences) break;
  }
  if (!chosen.length && chunks[0]) {
    const first = chunks[0].chunk.content.split(/\n{2,}/).flatMap(sentences).find((s) => !s.startsWith('```'));
    if (first) chosen.push({ chunkIndex: 0, position: 0, text: first, score: 0 });
  }
  const wantsExample = /^\s*(how|show|give|write|create|what is the (syntax|command))/i.test(question);
  let codeUsed = false;
  return chosen
    .map((c) => {
      let line = `${c.text} [${c.chunkIndex + 1}]`;
      if (wantsExample && c.code && !codeUsed) {
        line += `\n${c.code}`;
        codeUsed = true;
      }
      return line;
    })
    .join('\n\n');
}
