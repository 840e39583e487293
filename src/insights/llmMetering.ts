import { AsyncLocalStorage } from 'node:async_hooks';
import type { Metrics } from './metrics.ts';

/** HTTP attempts made so far by the model call in progress (LangChain retries inside one call). */
const attempts = new AsyncLocalStorage<{ n: number }>();

/** Runs one model call so that the metered fetch can tell its retries from its first request. */
export function countAttempts<T>(call: () => Promise<T>): Promise<T> {
  return attempts.run({ n: 0 }, call);
}

/**
 * A streamed model call, counted like `countAttempts`: the generator's body runs in the context
 * of whoever calls `next()`, so each step is run inside the call's own attempt counter.
 */
export async function* countStreamAttempts<T>(stream: AsyncGenerator<T>): AsyncGenerator<T> {
  const call = { n: 0 };
  for (;;) {
    const step = await attempts.run(call, () => stream.next());
    if (step.done) return;
    yield step.value;
  }
}

/** A fetch for the OpenAI client that counts requests to the model, their failures and retries. */
export function meteredFetch(metrics: Metrics, inner: typeof fetch = fetch): typeof fetch {
  return async (input, init) => {
    const call = attempts.getStore();
    const retry = call ? call.n++ > 0 : false;
    try {
      const res = await inner(input, init);
      metrics.observeLlmRequest(res.ok, retry);
      return res;
    } catch (err) {
      metrics.observeLlmRequest(false, retry);
      throw err;
    }
  };
}
