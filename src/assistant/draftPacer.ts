/**
 * How adapters show an answer while the model writes it without an edit storm: drafts are
 * coalesced (only the latest is sent), sent one at a time and at most once per interval, and
 * `settle()` stops drafting and waits out the interval so the final version, which the adapter
 * always sends next, is never sent sooner either.
 */
export interface Clock {
  now(): number;
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (run, ms) => setTimeout(run, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** How an adapter streams answers; an adapter given none shows each answer when it is complete. */
export interface StreamingOptions {
  /** Least time between two updates of one answer (STREAM_UPDATE_MS). */
  intervalMs: number;
  /** Tests pass their own. */
  clock?: Clock;
}

export interface PacerOptions {
  /** Least time between two sends to the platform (STREAM_UPDATE_MS). */
  intervalMs: number;
  clock?: Clock;
  /** When the message being drafted was posted (a placeholder counts as a send); default: never. */
  postedAt?: number;
  /** A draft that could not be sent: logged, and drafting stops (the final version still goes out). */
  onError(err: unknown): void;
}

export class DraftPacer<T> {
  private readonly clock: Clock;
  private latest: T | undefined;
  private lastSentAt: number;
  private inFlight: Promise<void> | undefined;
  private timer: unknown;
  private stopped = false;
  private sentAny = false;

  constructor(
    private readonly send: (draft: T) => Promise<void>,
    private readonly opts: PacerOptions,
  ) {
    this.clock = opts.clock ?? systemClock;
    this.lastSentAt = opts.postedAt ?? -Infinity;
  }

  /** The newest draft: it replaces any draft not sent yet. */
  push(draft: T): void {
    if (this.stopped) return;
    this.latest = draft;
    this.schedule();
  }

  /**
   * Stops drafting: a draft not sent yet is dropped, one being sent is awaited, then the rest
   * of the interval since the last send. Resolves to whether any draft reached the platform.
   */
  async settle(): Promise<boolean> {
    this.stopped = true;
    this.latest = undefined;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.inFlight;
    const wait = this.lastSentAt + this.opts.intervalMs - this.clock.now();
    if (this.sentAny && wait > 0) await new Promise<void>((resolve) => this.clock.setTimeout(resolve, wait));
    return this.sentAny;
  }

  private schedule(): void {
    if (this.stopped || this.inFlight || this.timer !== undefined || this.latest === undefined) return;
    const wait = this.lastSentAt + this.opts.intervalMs - this.clock.now();
    if (wait <= 0) {
      this.flush();
      return;
    }
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, wait);
  }

  private flush(): void {
    const draft = this.latest;
    if (this.stopped || draft === undefined) return;
    this.latest = undefined;
    this.sentAny = true;
    this.inFlight = this.send(draft)
      .catch((err: unknown) => {
        this.stopped = true;
        this.opts.onError(err);
      })
      .finally(() => {
        // Counted from when the platform answered: the next send cannot reach it sooner than an interval after this one did.
        this.lastSentAt = this.clock.now();
        this.inFlight = undefined;
        this.schedule();
      });
  }
}

/**
 * A pacer for one answer's drafts when streaming is on (undefined when it is off). `posted`: the
 * message being drafted was just posted (a placeholder), so the first draft waits an interval.
 */
export function streamingPacer(streaming: StreamingOptions | undefined, send: (text: string) => Promise<unknown>, onError: (err: unknown) => void, posted = false): DraftPacer<string> | undefined {
  if (!streaming) return undefined;
  const clock = streaming.clock ?? systemClock;
  return new DraftPacer<string>(async (text) => void (await send(text)), { intervalMs: streaming.intervalMs, clock, postedAt: posted ? clock.now() : undefined, onError });
}
