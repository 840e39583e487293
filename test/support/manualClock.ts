import type { Clock } from '../../src/assistant/draftPacer.ts';

/**
 * A clock for the pacing of streamed answers that moves only when told: `advance(ms)` runs the
 * timers that fall due, in order, each at its own time. Tests assert on this clock's times,
 * never on the wall clock. `run()` moves it on a step every few real milliseconds (for the
 * waits at the end of an answer), until the function it returns is called.
 */
export class ManualClock implements Clock {
  private time = 0;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; run: () => void }>();

  now(): number {
    return this.time;
  }

  setTimeout(run: () => void, ms: number): number {
    const id = ++this.seq;
    this.timers.set(id, { at: this.time + Math.max(0, ms), run });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  advance(ms: number): void {
    const target = this.time + ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, t]) => t.at <= target).sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.time = Math.max(this.time, due[1].at);
      due[1].run();
    }
    this.time = target;
  }

  run(stepMs = 100, everyMs = 2): () => void {
    const handle = setInterval(() => this.advance(stepMs), everyMs);
    return () => clearInterval(handle);
  }
}
