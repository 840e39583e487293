import fs from 'node:fs/promises';
import { z } from 'zod';
import type { AnswerService } from '../answer/ask.ts';
import { KbError } from '../errors.ts';
import type { HybridRetriever, RetrievalMode } from '../retrieval/hybridRetriever.ts';

const line = z.object({ question: z.string().min(1), sources: z.array(z.string()) });
export type EvalQuestion = z.infer<typeof line>;

export interface EvalReport {
  mode: RetrievalMode;
  questions: number;
  hit_at_1: number;
  hit_at_5: number;
  hit_at_10: number;
  mrr_at_10: number;
  answered_rate: number;
  refusal_rate: number;
  latency_ms: { p50: number; p95: number };
}

export interface EvalDetail {
  question: string;
  rank: number | null;
  refused: boolean;
  confidence: number;
  documents: string[];
}

export async function readQuestions(file: string): Promise<EvalQuestion[]> {
  const text = await fs.readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new KbError('input/unreadable_file', `${file}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
  });
  return text
    .split('\n')
    .map((l, i) => [l.trim(), i + 1] as const)
    .filter(([l]) => l)
    .map(([l, n]) => {
      try {
        return line.parse(JSON.parse(l));
      } catch {
        throw new KbError('input/invalid_argument', `${file}:${n}: expected {"question": "...", "sources": [...]}`);
      }
    });
}

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/**
 * Retrieval quality over a question set. Rank = position of the first relevant distinct
 * document among the retrieved chunks' documents. Refusal uses the same evidence
 * threshold as ask().
 */
export async function evaluate(
  questions: EvalQuestion[],
  retriever: HybridRetriever,
  answers: Pick<AnswerService, 'compose'>,
  mode: RetrievalMode,
  k: number,
  onDetail?: (d: EvalDetail) => void,
): Promise<EvalReport> {
  let h1 = 0, h5 = 0, h10 = 0, mrr = 0, answered = 0, inDomain = 0, refusedOff = 0, offDomain = 0;
  const latencies: number[] = [];
  for (const q of questions) {
    const t0 = performance.now();
    const retrieval = await retriever.retrieve(q.question);
    latencies.push(performance.now() - t0);
    const documents: string[] = [];
    for (const c of retrieval.chunks) if (!documents.includes(c.chunk.source)) documents.push(c.chunk.source);
    const answer = await answers.compose(q.question, retrieval, retriever.collections);
    const idx = documents.slice(0, k).findIndex((d) => q.sources.includes(d));
    const rank = idx >= 0 ? idx + 1 : null;
    if (q.sources.length) {
      inDomain++;
      if (rank !== null) {
        if (rank <= 1) h1++;
        if (rank <= 5) h5++;
        if (rank <= 10) h10++;
        mrr += 1 / rank;
      }
      if (!answer.refused) answered++;
    } else {
      offDomain++;
      if (answer.refused) refusedOff++;
    }
    onDetail?.({ question: q.question, rank, refused: answer.refused, confidence: round(retrieval.confidence), documents: documents.slice(0, 5) });
  }
  latencies.sort((a, b) => a - b);
  const div = (a: number, b: number) => (b ? round(a / b) : 0);
  return {
    mode,
    questions: questions.length,
    hit_at_1: div(h1, inDomain),
    hit_at_5: div(h5, inDomain),
    hit_at_10: div(h10, inDomain),
    mrr_at_10: div(mrr, inDomain),
    answered_rate: div(answered, inDomain),
    refusal_rate: div(refusedOff, offDomain),
    latency_ms: { p50: round(percentile(latencies, 50)), p95: round(percentile(latencies, 95)) },
  };
}
