import type { Admission, AskRequest, Assistant } from '../src/assistant/types.ts';
import { KbError } from '../src/errors.ts';

/**
 * Wraps the assistant to count answers in flight, so a shutdown can stop taking new
 * events and still finish the answers already started.
 */
export class InFlightAssistant implements Assistant {
  private active = 0;
  private waiters: Array<() => void> = [];
  draining = false;

  constructor(private readonly inner: Assistant) {}

  /** During the drain, a question is turned away before anything is shown for it. */
  async admit(req: Admission): Promise<void> {
    if (this.draining) throw new KbError('service/draining');
    await this.inner.admit(req);
  }

  async answer(req: AskRequest) {
    // Stopping: a question that arrives now is not started (the pools are about to close).
    if (this.draining) throw new KbError('service/draining');
    this.active++;
    try {
      return await this.inner.answer(req);
    } finally {
      this.active--;
      if (this.active === 0) for (const w of this.waiters.splice(0)) w();
    }
  }

  recordFeedback: Assistant['recordFeedback'] = (f) => this.inner.recordFeedback(f);
  claimEvent: Assistant['claimEvent'] = (id, ttl) => this.inner.claimEvent(id, ttl);
  releaseEvent: Assistant['releaseEvent'] = (id) => this.inner.releaseEvent(id);

  get inFlight(): number {
    return this.active;
  }

  /** Resolves when nothing is in flight, or after `timeoutMs`; returns what was left. */
  async drain(timeoutMs: number): Promise<number> {
    this.draining = true;
    if (this.active === 0) return 0;
    await Promise.race([new Promise<void>((r) => this.waiters.push(r)), new Promise<void>((r) => setTimeout(r, timeoutMs).unref())]);
    return this.active;
  }
}
