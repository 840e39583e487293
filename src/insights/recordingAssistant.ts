import type { Answer } from '../answer/types.ts';
import type { Admission, AskRequest, Assistant, FeedbackRecord } from '../assistant/types.ts';
import { KbError } from '../errors.ts';
import type { Metrics } from './metrics.ts';
import type { InteractionEvent, InteractionRecorder, Outcome } from './types.ts';

/**
 * Wraps the assistant so every question, answered or not, is counted (Prometheus) and
 * recorded (interactions table) once it has finished. Neither can delay or fail the
 * answer: the recorder only appends to a buffer, and both are guarded.
 */
export class RecordingAssistant implements Assistant {
  constructor(
    private readonly inner: Assistant,
    private readonly recorder: InteractionRecorder | undefined,
    private readonly metrics: Metrics | undefined,
    private readonly onRecordError: (err: unknown) => void,
  ) {}

  /** A question turned away at admission is counted and recorded as one turned away by answer() would be. */
  async admit(req: Admission): Promise<void> {
    const t0 = performance.now();
    try {
      await this.inner.admit(req);
    } catch (err) {
      const outcome = failureOutcome(err);
      if (outcome) this.observe({ request: { ...req }, outcome, latencyMs: performance.now() - t0, at: new Date() });
      throw err;
    }
  }

  async answer(req: AskRequest): Promise<Answer> {
    const t0 = performance.now();
    let answer: Answer | undefined;
    let outcome: Outcome | undefined = 'error';
    try {
      answer = await this.inner.answer(req);
      outcome = answer.refused ? 'refused' : 'answered';
      return answer;
    } catch (err) {
      outcome = failureOutcome(err);
      throw err;
    } finally {
      if (outcome) this.observe({ request: req, answer, outcome, latencyMs: performance.now() - t0, at: new Date() });
    }
  }

  private observe(event: InteractionEvent): void {
    try {
      this.metrics?.observeAnswer(event);
      this.recorder?.record(event);
    } catch (err) {
      this.onRecordError(err);
    }
  }

  async recordFeedback(f: FeedbackRecord): Promise<void> {
    await this.inner.recordFeedback(f);
    this.recorder?.recordFeedback({ platform: f.platform, user: f.user, question: f.question, vote: f.vote });
  }

  claimEvent: Assistant['claimEvent'] = (id, ttl) => this.inner.claimEvent(id, ttl);
  releaseEvent: Assistant['releaseEvent'] = (id) => this.inner.releaseEvent(id);
}

/**
 * How a question that failed counts: turned away by the user's rate limit or the bot's
 * capacity (service/busy), 'rate_limited'; not a question to the knowledge base (the
 * conversation has none), not at all; anything else, 'error'.
 */
function failureOutcome(err: unknown): Outcome | undefined {
  if (!(err instanceof KbError)) return 'error';
  if (err.code === 'rate/limited' || err.code === 'service/busy') return 'rate_limited';
  if (err.code === 'scope/unassigned') return undefined;
  return 'error';
}
