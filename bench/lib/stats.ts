/** Latency summaries and small timing helpers shared by the suites. */

export interface LatencySummary {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  max: number;
}

/** Nearest-rank percentile of an ascending array (p in 0..100). */
export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function summarize(samplesMs: number[]): LatencySummary {
  const s = [...samplesMs].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / (s.length || 1);
  return { n: s.length, p50: percentile(s, 50), p95: percentile(s, 95), p99: percentile(s, 99), mean, max: s[s.length - 1] ?? NaN };
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - t0 };
}

export interface LoadRun {
  latencies: number[];
  wallMs: number;
  errors: number;
  firstError?: string;
}

/**
 * Runs `total` calls of `fn(i)` with `concurrency` in flight, recording each call's
 * latency. Stops early (after at least `minCalls`) once `budgetMs` of wall time is spent,
 * so a slow baseline cannot eat the whole run.
 */
export async function runLoad(fn: (i: number) => Promise<unknown>, o: { total: number; concurrency: number; budgetMs?: number; minCalls?: number }): Promise<LoadRun> {
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const budget = o.budgetMs ?? Infinity;
  const minCalls = o.minCalls ?? 1;
  const worker = async () => {
    for (;;) {
      if (next >= o.total) return;
      if (next >= minCalls && performance.now() - started > budget) return;
      const i = next++;
      const t0 = performance.now();
      try {
        await fn(i);
        latencies.push(performance.now() - t0);
      } catch (err) {
        errors++;
        firstError ??= (err as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  return { latencies, wallMs: performance.now() - started, errors, firstError };
}

/** "12.3" with a sensible number of digits for a millisecond or ratio figure. */
export function fmt(x: number | undefined, digits?: number): string {
  if (x === undefined || Number.isNaN(x)) return '–';
  if (!Number.isFinite(x)) return '∞';
  const d = digits ?? (Math.abs(x) >= 100 ? 0 : Math.abs(x) >= 10 ? 1 : 2);
  return x.toFixed(d);
}

/** A ratio shown as "3.2×". */
export function ratio(numerator: number, denominator: number): string {
  if (!Number.isFinite(numerator) || !Number.isFinite(denominator) || denominator === 0) return '–';
  return `${fmt(numerator / denominator)}×`;
}

export function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(bytes >= 100 * 1024 * 1024 ? 0 : 1)} MB`;
}

/** Deterministic PRNG (mulberry32), so generated corpora and samples are reproducible. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
