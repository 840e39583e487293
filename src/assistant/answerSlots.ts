import { KbError } from '../errors.ts';

export interface AnswerSlotOptions {
  /** Answers worked on at once (MAX_CONCURRENT_ANSWERS). */
  max: number;
  /** Questions that may wait for a slot; one more is told the bot is busy at once. */
  maxWaiting: number;
  /** How long a question waits for a slot before it is told the bot is busy. */
  maxWaitMs: number;
}

/** What MAX_CONCURRENT_ANSWERS sets: up to 4 × the cap wait, each for at most 30 s. */
export function answerSlotOptions(maxConcurrent: number): AnswerSlotOptions {
  return { max: maxConcurrent, maxWaiting: 4 * maxConcurrent, maxWaitMs: 30_000 };
}

/**
 * The cap on answers one process works on at once, so a burst of questions cannot open a
 * model and an embedding request per question: each answer holds a slot while it runs; a
 * question beyond the cap waits its turn (first come, first served) for a bounded time in a
 * bounded line, and otherwise gets KbError('service/busy').
 */
export class AnswerSlots {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly options: AnswerSlotOptions) {}

  /** True when a question arriving now would be turned away at once: every slot taken and the line full. */
  get full(): boolean {
    return this.active >= this.options.max && this.waiting.length >= this.options.maxWaiting;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await work();
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.active < this.options.max && this.waiting.length === 0) {
      this.active++;
      return Promise.resolve();
    }
    if (this.waiting.length >= this.options.maxWaiting) return Promise.reject(new KbError('service/busy'));
    return new Promise((resolve, reject) => {
      const grant = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        const i = this.waiting.indexOf(grant);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(new KbError('service/busy'));
      }, this.options.maxWaitMs);
      this.waiting.push(grant);
    });
  }

  /** A finished answer hands its slot to the longest-waiting question, if any. */
  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }
}
