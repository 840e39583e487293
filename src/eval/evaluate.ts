import fs from 'node:fs/promises';
import { z } from 'zod';
import type { Answer } from '../answer/types.ts';
import { KbError } from '../errors.ts';
import type { HybridRetriever, Retrieval } from '../retrieval/hybridRetriever.ts';
import { compileFacts, statesFact } from './facts.ts';

const line = z.object({ question: z.string().min(1), sources: z.array(z.string()), facts: z.array(z.string()).optional() });
export type EvalQuestion = z.infer<typeof line> & { factPatterns?: RegExp[] };

export interface EvalReport {
  /** The retrieval mode, or the name of the recipe measured (RetrievalRecipe). */
  mode: string;
  questions: number;
  hit_at_1: number;
  hit_at_5: number;
  hit_at_10: number;
  mrr_at_10: number;
  answered_rate: number;
  refusal_rate: number;
  latency_ms: { p50: number; p95: number };
}

/** With `--answers`: what the full answer path produced. */
export interface AnswerReport {
  /** Questions with facts whose answer is not a refusal and states one of them. */
  fact_rate: number;
  /** Answer text without the Sources list, in characters. */
  answer_chars: { p50: number; p95: number };
  answer_latency_ms: { p50: number; p95: number };
}

export interface EvalDetail {
  question: string;
  rank: number | null;
  refused: boolean;
  confidence: number;
  documents: string[];
  /** With `--answers`. */
  answer?: string;
  stated_fact?: boolean;
}

/**
 * Decides each question's answer. Retrieval figures alone: the eval's own retrieval composed
 * as ask() would; with `--answers`: the assistant's full answer path, as Slack and Discord use it.
 */
export interface EvalAnswerer {
  full: boolean;
  answer(question: string, retrieval: Retrieval): Promise<Answer>;
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
      let q: EvalQuestion;
      try {
        q = line.parse(JSON.parse(l));
      } catch {
        throw new KbError('input/invalid_argument', `${file}:${n}: expected {"question": "...", "sources": [...], "facts": [...]}`);
      }
      try {
        return q.facts ? { ...q, factPatterns: compileFacts(q.facts) } : q;
      } catch (err) {
        throw new KbError('input/invalid_argument', `${file}:${n}: a fact is not a valid regular expression (${(err as Error).message})`);
      }
    });
}

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

const round = (x: number) => Math.round(x * 1000) / 1000;
const summary = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return { p50: round(percentile(sorted, 50)), p95: round(percentile(sorted, 95)) };
};

/**
 * Retrieval (and, with a full answerer, answer) quality over a question set. Rank =
 * position of the first relevant distinct document among the retrieved chunks' documents.
 * Answered and refused come from `answerer`.
 */
export async function evaluate(
  questions: EvalQuestion[],
  retriever: HybridRetriever,
  answerer: EvalAnswerer,
  mode: string,
  k: number,
  onDetail?: (d: EvalDetail) => void,
): Promise<EvalReport & Partial<AnswerReport>> {
  let h1 = 0, h5 = 0, h10 = 0, mrr = 0, answered = 0, inDomain = 0, refusedOff = 0, offDomain = 0;
  let withFacts = 0, stated = 0;
  const latencies: number[] = [];
  const answerLatencies: number[] = [];
  const answerChars: number[] = [];
  for (const q of questions) {
    const t0 = performance.now();
    const retrieval = await retriever.retrieve(q.question);
    latencies.push(performance.now() - t0);
    const documents: string[] = [];
    for (const c of retrieval.chunks) if (!documents.includes(c.chunk.source)) documents.push(c.chunk.source);
    const t1 = performance.now();
    const answer = await answerer.answer(q.question, retrieval);
    answerLatencies.push(performance.now() - t1);
    const statedFact = q.factPatterns?.length ? statesFact(answer, q.factPatterns) : undefined;
    if (statedFact !== undefined) {
      withFacts++;
      if (statedFact) stated++;
    }
    if (!answer.refused) answerChars.push(answer.text.length);
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
    const detail: EvalDetail = { question: q.question, rank, refused: answer.refused, confidence: round(retrieval.confidence), documents: documents.slice(0, 5) };
    onDetail?.(answerer.full ? { ...detail, answer: answer.text, stated_fact: statedFact } : detail);
  }
  const div = (a: number, b: number) => (b ? round(a / b) : 0);
  const answers: Partial<AnswerReport> = answerer.full ? { fact_rate: div(stated, withFacts), answer_chars: summary(answerChars), answer_latency_ms: summary(answerLatencies) } : {};
  return {
    mode,
    questions: questions.length,
    hit_at_1: div(h1, inDomain),
    hit_at_5: div(h5, inDomain),
    hit_at_10: div(h10, inDomain),
    mrr_at_10: div(mrr, inDomain),
    answered_rate: div(answered, inDomain),
    refusal_rate: div(refusedOff, offDomain),
    latency_ms: summary(latencies),
    ...answers,
  };
}
