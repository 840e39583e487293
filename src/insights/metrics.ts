import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { InteractionEvent } from './types.ts';
import { platformOf } from './recorder.ts';

/** Outcome label of kb_answers_total: an answer with a degraded-service note is `degraded`. */
export type MetricOutcome = 'answered' | 'refused' | 'degraded' | 'rate_limited' | 'error';

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * The Prometheus metrics of one process (`/metrics`), in their own registry so that several
 * apps in one process (tests, benchmarks) never share counters. Default process metrics
 * (CPU, memory, event loop lag, GC) are included.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly answers = new Counter({ name: 'kb_answers_total', help: 'Questions handled, by platform and outcome', labelNames: ['platform', 'outcome'] as const, registers: [this.registry] });
  private readonly answerSeconds = new Histogram({ name: 'kb_answer_duration_seconds', help: 'Time from question to answer (answered and refused)', labelNames: ['platform'] as const, buckets: SECONDS, registers: [this.registry] });
  private readonly retrievalSeconds = new Histogram({ name: 'kb_retrieval_duration_seconds', help: 'Hybrid retrieval time (BM25 + vector + fusion)', buckets: SECONDS, registers: [this.registry] });
  private readonly cache = new Counter({ name: 'kb_answer_cache_requests_total', help: 'Answer-cache lookups by result (hit or miss)', labelNames: ['result'] as const, registers: [this.registry] });
  private readonly llmRequests = new Counter({ name: 'kb_llm_requests_total', help: 'HTTP requests to the language model, by result (ok or error)', labelNames: ['result'] as const, registers: [this.registry] });
  private readonly llmRetries = new Counter({ name: 'kb_llm_retries_total', help: 'Language-model requests that were retries of a failed one', registers: [this.registry] });
  private readonly connected = new Gauge({ name: 'kb_platform_connected', help: '1 while the Slack or Discord connection is up, 0 when it is down', labelNames: ['platform'] as const, registers: [this.registry] });
  private inFlightSource: () => number = () => 0;
  private hits = 0;
  private lookups = 0;

  constructor() {
    const hitRatio = () => (this.lookups ? this.hits / this.lookups : 0);
    const inFlight = () => this.inFlightSource();
    new Gauge({
      name: 'kb_answer_cache_hit_ratio',
      help: 'Share of answer-cache lookups that were hits since the process started',
      registers: [this.registry],
      collect() {
        this.set(hitRatio());
      },
    });
    new Gauge({
      name: 'kb_answers_in_flight',
      help: 'Answers being worked on right now',
      registers: [this.registry],
      collect() {
        this.set(inFlight());
      },
    });
    collectDefaultMetrics({ register: this.registry });
  }

  observeAnswer(e: InteractionEvent): void {
    const platform = platformOf(e);
    const outcome: MetricOutcome = e.outcome === 'answered' && e.answer?.note ? 'degraded' : e.outcome;
    this.answers.inc({ platform, outcome });
    if (e.answer) {
      this.answerSeconds.observe({ platform }, e.latencyMs / 1000);
      const hit = Boolean(e.answer.cached);
      this.cache.inc({ result: hit ? 'hit' : 'miss' });
      this.lookups++;
      if (hit) this.hits++;
    }
  }

  observeRetrieval(seconds: number): void {
    this.retrievalSeconds.observe(seconds);
  }

  observeLlmRequest(ok: boolean, retry: boolean): void {
    this.llmRequests.inc({ result: ok ? 'ok' : 'error' });
    if (retry) this.llmRetries.inc();
  }

  setConnected(platform: 'slack' | 'discord', up: boolean): void {
    this.connected.set({ platform }, up ? 1 : 0);
  }

  /** Where kb_answers_in_flight reads from (kb serve's in-flight counter). */
  countInFlight(source: () => number): void {
    this.inFlightSource = source;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
