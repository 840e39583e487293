import type { IncomingHttpHeaders } from 'node:http';
import { Agent, request } from 'undici';
import { checkHost, guardedLookup, PrivateAddressError } from './address.ts';

/** Redirects followed for one request; each hop is checked again (scheme, address, scope, robots.txt). */
export const MAX_REDIRECTS = 5;
export const USER_AGENT = 'kb-bot/0.1 (knowledge base ingest)';
/** The product token robots.txt groups are matched against. */
export const ROBOTS_AGENT = 'kb-bot';
const REDIRECT = new Set([301, 302, 303, 307, 308]);

export interface FetcherOptions {
  timeoutMs: number;
  allowPrivate: boolean;
  /** Bodies larger than this are refused (MAX_FILE_BYTES, like files). */
  maxBytes: number;
  /** Awaited before every request (pacing). */
  beforeRequest?: () => Promise<void>;
}

export interface HopRules {
  /** Extra request headers for a hop's URL (If-None-Match, If-Modified-Since). */
  headersFor?: (url: URL) => Record<string, string>;
  /** Why a redirect target may not be fetched (out of scope, robots.txt), or undefined. */
  refuseHop?: (url: URL) => Promise<string | undefined>;
}

export type Fetched =
  | { ok: true; url: URL; status: number; headers: IncomingHttpHeaders; body: Buffer }
  /**
   * `url` is the URL asked for (the reason names a redirect target where it failed there);
   * `unreachable`: no answer at all (DNS, connection, TLS, timeout), not a refusal of ours.
   */
  | { ok: false; url: URL; reason: string; unreachable: boolean };

export const header = (h: IncomingHttpHeaders, name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

/**
 * GET over HTTP(S) for a crawl: only http and https, every host's addresses checked before a
 * request and again where the socket connects (guardedLookup), redirects followed by hand up
 * to MAX_REDIRECTS with each hop checked like the first, one timeout over the whole page
 * (redirects and body included), and bodies capped at `maxBytes`.
 */
export class WebFetcher {
  private readonly agent: Agent;

  constructor(private readonly opts: FetcherOptions) {
    this.agent = new Agent({ connect: { lookup: guardedLookup(opts.allowPrivate), timeout: opts.timeoutMs }, headersTimeout: opts.timeoutMs, bodyTimeout: opts.timeoutMs });
  }

  async get(start: URL, rules: HopRules = {}): Promise<Fetched> {
    const signal = AbortSignal.timeout(this.opts.timeoutMs);
    let url = start;
    for (let hop = 0; ; hop++) {
      const refused = schemeProblem(url) ?? (hop > 0 ? await rules.refuseHop?.(url) : undefined);
      if (refused) return { ok: false, url: start, reason: hop > 0 ? `redirected to ${url.href}: ${refused}` : refused, unreachable: false };
      try {
        await checkHost(url, this.opts.allowPrivate);
        await this.opts.beforeRequest?.();
        const res = await request(url, {
          dispatcher: this.agent,
          method: 'GET',
          signal,
          headers: { 'user-agent': USER_AGENT, accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,text/plain;q=0.8,*/*;q=0.5', ...rules.headersFor?.(url) },
        });
        const location = header(res.headers, 'location');
        if (REDIRECT.has(res.statusCode) && location) {
          await res.body.dump();
          if (hop >= MAX_REDIRECTS) return { ok: false, url: start, reason: `more than ${MAX_REDIRECTS} redirects`, unreachable: false };
          const next = URL.canParse(location, url.href) ? new URL(location, url) : undefined;
          if (!next) return { ok: false, url: start, reason: `redirected to an invalid URL (${location.slice(0, 200)})`, unreachable: false };
          next.hash = '';
          url = next;
          continue;
        }
        if (res.statusCode !== 200) {
          await res.body.dump();
          return { ok: true, url, status: res.statusCode, headers: res.headers, body: Buffer.alloc(0) };
        }
        const declared = Number(header(res.headers, 'content-length'));
        if (declared > this.opts.maxBytes) {
          res.body.destroy();
          return { ok: false, url: start, reason: `larger than ${this.opts.maxBytes / 1024 / 1024} MB`, unreachable: false };
        }
        const chunks: Buffer[] = [];
        let size = 0;
        for await (const chunk of res.body as AsyncIterable<Buffer>) {
          size += chunk.length;
          if (size > this.opts.maxBytes) {
            res.body.destroy();
            return { ok: false, url: start, reason: `larger than ${this.opts.maxBytes / 1024 / 1024} MB`, unreachable: false };
          }
          chunks.push(chunk);
        }
        return { ok: true, url, status: 200, headers: res.headers, body: Buffer.concat(chunks) };
      } catch (err) {
        const failed = this.failure(err, signal);
        return { ok: false, url: start, ...failed, reason: url === start ? failed.reason : `redirected to ${url.href}: ${failed.reason}` };
      }
    }
  }

  private failure(err: unknown, signal: AbortSignal): { reason: string; unreachable: boolean } {
    const e = err as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
    const cause = e.cause instanceof Error ? e.cause : e;
    if (err instanceof PrivateAddressError || cause instanceof PrivateAddressError) {
      const p = (err instanceof PrivateAddressError ? err : cause) as PrivateAddressError;
      return { reason: `${p.message}: refused (--allow-private fetches from private networks)`, unreachable: false };
    }
    if (signal.aborted || /timeout/i.test(`${e.code ?? ''} ${e.name}`)) return { reason: `no answer within ${this.opts.timeoutMs} ms`, unreachable: true };
    const code = cause.code ?? e.code;
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { reason: `${e.message.includes('getaddrinfo') ? 'the host name does not resolve' : e.message} (${code})`, unreachable: true };
    return { reason: `${code ?? cause.message}`, unreachable: true };
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

function schemeProblem(url: URL): string | undefined {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `only http and https URLs are fetched, not ${url.protocol.replace(/:$/, '')}`;
  if (url.username || url.password) return 'URLs with a user name or password are not fetched';
  return undefined;
}
