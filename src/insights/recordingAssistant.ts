import type { Answer } from '../answer/types.ts';
import type { AskRequest, Assistant, FeedbackRecord } from '../assistant/types.ts';
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

  async answer(req: AskRequest): Promise<Answer> {
    const t0 = performance.now();
    let answer: Answer | undefined;
    let outcome: Outcome | undefined = 'error';
    try {
      answer = await this.inner.answer(req);
      outcome = answer.refused ? 'refused' : 'answered';
      return answer;
    } catch (err) {
      if (err instanceof KbError && err.code === 'rate/limited') outcome = 'rate_limited';
      // Not a question to the knowledge base (the conversation has none): neither a gap nor an error.
      if (err instanceof KbError && err.code === 'scope/unassigned') outcome = undefined;
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
