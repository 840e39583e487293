import type { Answer, Citation } from '../../src/answer/types.ts';
import type { Admission, AskRequest, Assistant, FeedbackRecord } from '../../src/assistant/types.ts';

/**
 * A stand-in for the core, for tests of what sits in front of it (the Slack and Discord
 * adapters, the delivery policy, wrappers such as RecordingAssistant): it searches nothing and
 * records every call. Answers come from `respond`; admission from `admission`.
 *
 * Not to be confused with `testAssistant()` (testAssistant.ts), which is the real answer path
 * (ConversationalAssistant over AnswerService) for tests of the core itself.
 */
export class FakeAssistant implements Assistant {
  readonly admissions: Admission[] = [];
  readonly asks: AskRequest[] = [];
  readonly feedback: FeedbackRecord[] = [];
  /** Every claimEvent() call's event id, duplicates included. */
  readonly claims: string[] = [];
  readonly released: string[] = [];
  private readonly claimed = new Set<string>();

  /** The error admit() throws for a question (e.g. a rate limit), or undefined to admit it. */
  admission: (req: Admission) => unknown = () => undefined;
  /** Errors answer() throws, one a call, before `respond` is asked (a failure that a redelivery gets past). */
  readonly failures: unknown[] = [];

  /** @param respond the answer to each question; by default a cited echo of it. */
  constructor(public respond: (req: AskRequest) => Answer | Promise<Answer> = (req) => makeAnswer(`Answer to: ${req.question}`)) {}

  async admit(req: Admission): Promise<void> {
    this.admissions.push(req);
    const refusal = this.admission(req);
    if (refusal) throw refusal;
  }

  async answer(req: AskRequest): Promise<Answer> {
    this.asks.push(req);
    const failure = this.failures.shift();
    if (failure) throw failure;
    return this.respond(req);
  }

  async recordFeedback(f: FeedbackRecord): Promise<void> {
    this.feedback.push(f);
  }

  async claimEvent(eventId: string): Promise<boolean> {
    this.claims.push(eventId);
    if (this.claimed.has(eventId)) return false;
    this.claimed.add(eventId);
    return true;
  }

  async releaseEvent(eventId: string): Promise<void> {
    this.released.push(eventId);
    this.claimed.delete(eventId);
  }
}

export function citation(n: number, overrides: Partial<Citation> = {}): Citation {
  return {
    n,
    title: `Partial indexes ${n}`,
    source: `docs/indexes-${n}.md`,
    collection: 'postgres',
    heading: 'Creating a partial index',
    anchor: 'creating',
    url: `https://docs.example.org/indexes-${n}#creating`,
    location: `docs/indexes-${n}.md#creating`,
    snippet: 'CREATE INDEX ... WHERE ...',
    contentHash: `hash-${n}`,
    ...overrides,
  };
}

export function makeAnswer(text: string, citations: Citation[] = [citation(1), citation(2)]): Answer {
  return { text, citations, confidence: 0.9, refused: false, standaloneQuestion: text };
}

/** The core's honest "nothing in the knowledge base answers this": no citations. */
export function refusal(): Answer {
  return { ...makeAnswer("I don't know: nothing in the knowledge base answers this.", []), refused: true, confidence: 0.1 };
}
