import type { Answer, Citation } from '../../../src/answer/types.ts';
import type { Admission, AskRequest, Assistant, FeedbackRecord } from '../../../src/assistant/types.ts';

/** An in-memory Assistant: records every call; answers with `respond` (by default, a cited echo). */
export class FakeAssistant implements Assistant {
  readonly asks: AskRequest[] = [];
  readonly feedback: FeedbackRecord[] = [];
  readonly claims: string[] = [];
  readonly released: string[] = [];
  private readonly claimed = new Set<string>();
  respond: (req: AskRequest) => Answer | Promise<Answer> = (req) => makeAnswer(`Answer to: ${req.question}`);

  readonly admissions: Admission[] = [];
  /** The error admit() throws for a question (e.g. a rate limit), or undefined to admit it. */
  admission: (req: Admission) => unknown = () => undefined;

  async admit(req: Admission): Promise<void> {
    this.admissions.push(req);
    const refusal = this.admission(req);
    if (refusal) throw refusal;
  }

  async answer(req: AskRequest): Promise<Answer> {
    this.asks.push(req);
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
