/** How politely a site is crawled (WEB_CONCURRENCY, WEB_DELAY_MS, WEB_TIMEOUT_MS). */
export interface WebSettings {
  /** Pages fetched at a time. */
  concurrency: number;
  /** Milliseconds between the starts of two requests (a site's Crawl-delay, when longer, wins). */
  delayMs: number;
  /** Milliseconds a page may take, redirects and body included. */
  timeoutMs: number;
}

export const DEFAULT_WEB: WebSettings = { concurrency: 2, delayMs: 250, timeoutMs: 10_000 };
