import { ChatOpenAI } from '@langchain/openai';
import type { Answer } from '../../src/answer/types.ts';
import type { AskRequest, Assistant } from '../../src/assistant/types.ts';
import { fakeChunk, testAssistant } from './testAssistant.ts';
import type { FakeOpenAI } from './fakeOpenAI.ts';

/** What the streamed-answer adapter tests retrieve: two sources, strong evidence. */
export const STREAM_CHUNKS = [
  fakeChunk('vacuum', 'VACUUM reclaims storage occupied by dead tuples. Autovacuum runs it in the background on busy tables.'),
  fakeChunk('partial', 'A partial index covers only the rows that satisfy the WHERE clause of the index, so it is smaller than a full index.'),
];

export const MODEL_NOTE = 'The language model was unavailable, so this answer quotes the sources directly.';

/**
 * A long model answer as stream pieces: `sentences` sentences citing the model's source [2]
 * (the partial-index chunk), which the final answer numbers [1].
 */
export function modelPieces(sentences: number): string[] {
  const pieces: string[] = [];
  for (let i = 1; i <= sentences; i++) pieces.push(`A partial index `, `covers only the rows `, `its WHERE clause admits, sentence ${i} [2]. `);
  return pieces;
}

export interface StreamingCore {
  assistant: Assistant;
  /** Every final answer the core returned, in order. */
  answers: Answer[];
}

/**
 * The real core (ConversationalAssistant, AnswerService) over STREAM_CHUNKS, with the real
 * ChatOpenAI client against `openai` (no retries), or extractive answers when it is undefined.
 */
export function streamingCore(openai: FakeOpenAI | undefined): StreamingCore {
  const chatModel = openai ? new ChatOpenAI({ model: 'fake-model', apiKey: 'test-key', configuration: { baseURL: openai.baseUrl }, maxRetries: 0, temperature: 0 }) : undefined;
  const core = testAssistant({ retrieval: () => ({ chunks: STREAM_CHUNKS, confidence: 0.95 }), answers: { chatModel } });
  const answers: Answer[] = [];
  const assistant: Assistant = {
    admit: (req) => core.assistant.admit(req),
    answer: async (req: AskRequest) => {
      const a = await core.assistant.answer(req);
      answers.push(a);
      return a;
    },
    recordFeedback: (f) => core.assistant.recordFeedback(f),
    claimEvent: (id, ttl) => core.assistant.claimEvent(id, ttl),
    releaseEvent: (id) => core.assistant.releaseEvent(id),
  };
  return { assistant, answers };
}

/** The gaps between successive times. */
export function gaps(times: number[]): number[] {
  return times.slice(1).map((t, i) => t - times[i]!);
}
