import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { KbError } from '../../errors.ts';
import type { PageValidators } from '../../store/webPages.ts';
import type { SkippedSource } from '../sourceFiles.ts';
import { checkHost, PrivateAddressError } from './address.ts';
import { header, WebFetcher, type Fetched } from './fetcher.ts';
import { RobotsTxt } from './robots.ts';
import { crawlScope, decodePage, inScope, pageLinks, pageUrls, sitemapEntries, type CrawlScope } from './scope.ts';

/** Sitemaps read from one sitemap index (and its nested indexes), at most. */
const MAX_SITEMAPS = 50;

export interface CrawlOptions {
  start: URL;
  sitemap?: URL;
  maxPages: number;
  sameOrigin: boolean;
  allowPrivate: boolean;
  concurrency: number;
  delayMs: number;
  timeoutMs: number;
  maxBytes: number;
  /** The collection's documents: content hash, and what each page answered last time. */
  stored: Map<string, { contentHash: string; validators?: PageValidators }>;
  /** The ingest version (parser, chunking, --meta): part of every content hash. */
  version: string;
  /** Fetch every page in full, without If-None-Match / If-Modified-Since. */
  unconditional?: boolean;
  onFetched?: (done: number, found: number) => void;
}

export interface FetchedPage {
  source: string;
  html: string;
  contentHash: string;
  validators: PageValidators;
}

export interface CrawlResult {
  scope: CrawlScope;
  /** New and edited pages. */
  changed: FetchedPage[];
  /** Pages whose content is the stored one (304, or 200 with the same hash), with what they answered now. */
  unchanged: FetchedPage[];
  /** Pages that answered 404 or 410. */
  gone: string[];
  skipped: SkippedSource[];
  /** Pages requested, and of those, answered 304. */
  requested: number;
  notModified: number;
  /** Pages found but not fetched because of --max-pages. */
  notFetched: number;
}

/** Spaces request starts at least `delayMs` apart, however many are in flight. */
class Pacer {
  private next = 0;
  constructor(public delayMs: number) {}
  async turn(): Promise<void> {
    const now = Date.now();
    const at = Math.max(now, this.next);
    this.next = at + this.delayMs;
    if (at > now) await sleep(at - now);
  }
}

const contentHash = (version: string, body: Buffer) => createHash('sha256').update(version).update('\0').update(body).digest('hex');

/**
 * Crawls the pages under the URL given: robots.txt first (which also tells whether the site
 * answers), then the URL, the sitemap's pages in scope and every stored page in scope (so a
 * page no longer linked is still checked, and a gone one found), then the in-scope links of
 * each page, breadth first, `concurrency` pages at a time with request starts `delayMs` (or the
 * site's Crawl-delay) apart. A stored page is fetched conditionally: a 304 is unchanged
 * without a body, its recorded links still followed. Nothing is written here.
 */
export async function crawl(o: CrawlOptions): Promise<CrawlResult> {
  const scope = crawlScope(o.start, o.sameOrigin);
  try {
    await checkHost(o.start, o.allowPrivate);
  } catch (err) {
    if (err instanceof PrivateAddressError) throw new KbError('web/refused', `${o.start.href}: ${err.message}: refused (add --allow-private to ingest from a private network)`);
    throw new KbError('web/unreachable', `Cannot reach ${o.start.host}: the host name does not resolve (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err });
  }
  const pacer = new Pacer(o.delayMs);
  const fetcher = new WebFetcher({ timeoutMs: o.timeoutMs, allowPrivate: o.allowPrivate, maxBytes: o.maxBytes, beforeRequest: () => pacer.turn() });
  try {
    const robots = new RobotsTxt(fetcher);
    const home = await robots.for(o.start);
    if (home.unreachable) throw new KbError('web/unreachable', `Cannot reach ${o.start.origin}: ${home.unreachable}`);
    if (home.blocked) throw new KbError('web/refused', `${home.blocked}: nothing fetched`);
    pacer.delayMs = Math.max(o.delayMs, home.delayMs ?? 0);

    const seeds = [o.start, ...(o.sitemap ? await sitemapPages(fetcher, o.sitemap) : []), ...pageUrls([...o.stored.keys()])];
    const inside = seeds.filter((u) => inScope(scope, u));
    if (!inside.some((u) => home.allows(u) || u.origin !== o.start.origin)) {
      throw new KbError('web/refused', `robots.txt of ${o.start.origin} disallows ${o.start.href}${o.sitemap ? ' and every page of the sitemap' : ''} for kb-bot: nothing fetched`);
    }
    return await new Crawl(o, scope, fetcher, robots).run(inside);
  } finally {
    await fetcher.close();
  }
}

/** The page URLs of a sitemap (and of the sitemaps a sitemap index lists). */
async function sitemapPages(fetcher: WebFetcher, sitemap: URL): Promise<URL[]> {
  const pages: URL[] = [];
  const todo = [sitemap];
  for (let read = 0; todo.length && read < MAX_SITEMAPS; read++) {
    const url = todo.shift()!;
    const r = await fetcher.get(url);
    const problem = !r.ok ? r.reason : r.status !== 200 ? `answered ${r.status}` : undefined;
    if (problem) throw new KbError(r.ok || !r.unreachable ? 'input/invalid_argument' : 'web/unreachable', `--sitemap: ${url.href}: ${problem}`);
    let entries: { pages: string[]; sitemaps: string[] };
    try {
      entries = sitemapEntries((r as Extract<Fetched, { ok: true }>).body);
    } catch (err) {
      throw new KbError('input/invalid_argument', `--sitemap: ${url.href}: not a sitemap (${(err as Error).message})`, { cause: err });
    }
    pages.push(...pageUrls(entries.pages, url));
    todo.push(...pageUrls(entries.sitemaps, url));
  }
  return pages;
}

class Crawl {
  private readonly queue: URL[] = [];
  private readonly queued = new Set<string>();
  private readonly done = new Set<string>();
  private next = 0;
  private active = 0;
  /** Pages taken against --max-pages: requested, or being checked before their request. */
  private slots = 0;
  private waiting: (() => void)[] = [];
  private failure: { error: unknown } | undefined;
  private readonly result: CrawlResult;

  constructor(
    private readonly o: CrawlOptions,
    private readonly scope: CrawlScope,
    private readonly fetcher: WebFetcher,
    private readonly robots: RobotsTxt,
  ) {
    this.result = { scope, changed: [], unchanged: [], gone: [], skipped: [], requested: 0, notModified: 0, notFetched: 0 };
  }

  async run(seeds: URL[]): Promise<CrawlResult> {
    for (const s of seeds) this.enqueue(s);
    await Promise.all(Array.from({ length: Math.max(1, this.o.concurrency) }, () => this.worker()));
    if (this.failure) throw this.failure.error;
    this.result.notFetched = this.queue.length - this.next;
    return this.result;
  }

  private enqueue(url: URL): void {
    if (!inScope(this.scope, url) || this.queued.has(url.href)) return;
    this.queued.add(url.href);
    this.queue.push(url);
    this.wake();
  }

  private wake(): void {
    const w = this.waiting;
    this.waiting = [];
    for (const resolve of w) resolve();
  }

  private async worker(): Promise<void> {
    while (!this.failure) {
      if (this.next < this.queue.length && this.slots < this.o.maxPages) {
        const url = this.queue[this.next++]!;
        this.active++;
        // A page counts against --max-pages once it is requested: one refused (robots.txt, scope) gives its slot back.
        this.slots++;
        try {
          if (!(await this.visit(url))) this.slots--;
        } catch (error) {
          this.failure ??= { error };
        } finally {
          this.active--;
          this.o.onFetched?.(this.next - this.active, Math.min(this.queue.length, this.o.maxPages));
          this.wake();
        }
      } else if (this.active === 0) {
        this.wake();
        return;
      } else {
        await new Promise<void>((resolve) => this.waiting.push(resolve));
      }
    }
  }

  private skip(url: URL, reason: string): void {
    this.result.skipped.push({ source: url.href, reason });
  }

  /** Why a page (or a redirect's target) may not be fetched, or undefined. */
  private async refusal(url: URL): Promise<string | undefined> {
    if (!inScope(this.scope, url)) return `outside ${this.scope.start.host}${this.scope.folder}`;
    const robots = await this.robots.for(url);
    if (robots.unreachable) return `cannot reach ${url.origin}: ${robots.unreachable}`;
    if (robots.blocked) return robots.blocked;
    return robots.allows(url) ? undefined : 'disallowed by robots.txt';
  }

  private conditional(url: URL): Record<string, string> {
    const v = this.o.unconditional ? undefined : this.o.stored.get(url.href)?.validators;
    if (!v || v.version !== this.o.version) return {};
    return { ...(v.etag ? { 'if-none-match': v.etag } : {}), ...(v.lastModified ? { 'if-modified-since': v.lastModified } : {}) };
  }

  /** Fetches and records one page; false when it was refused before any request. */
  private async visit(url: URL): Promise<boolean> {
    const refused = await this.refusal(url);
    if (refused) {
      this.skip(url, refused);
      return false;
    }
    await this.fetchPage(url);
    return true;
  }

  private async fetchPage(url: URL): Promise<void> {
    this.result.requested++;
    const r = await this.fetcher.get(url, { headersFor: (u) => this.conditional(u), refuseHop: (u) => this.refusal(u) });
    if (!r.ok) return this.skip(r.url, r.reason);
    const source = r.url.href;
    // A page reached twice (directly and through a redirect) is taken once.
    if (this.done.has(source)) return;
    this.done.add(source);
    this.queued.add(source);
    const stored = this.o.stored.get(source);
    if (r.status === 304 && stored?.validators) {
      this.result.notModified++;
      for (const link of stored.validators.links) this.enqueue(new URL(link));
      this.result.unchanged.push({ source, html: '', contentHash: stored.contentHash, validators: { ...stored.validators, ...this.validatorsOf(r) } });
      return;
    }
    if (r.status === 404 || r.status === 410) {
      if (!stored) return this.skip(r.url, `answered ${r.status}`);
      this.result.gone.push(source);
      return this.skip(r.url, `gone (${r.status}; --prune removes it)`);
    }
    if (r.status !== 200) return this.skip(r.url, `answered ${r.status}`);
    const type = header(r.headers, 'content-type');
    if (type && !/^\s*(text\/html|application\/xhtml\+xml)\b/i.test(type)) return this.skip(r.url, `not an HTML page (${type.split(';')[0]!.trim()})`);
    const html = decodePage(r.body, type);
    const { links, noindex } = pageLinks(html, r.url);
    const inside = links.filter((l) => inScope(this.scope, l));
    for (const link of inside) this.enqueue(link);
    if (noindex) return this.skip(r.url, 'the page asks not to be indexed (meta robots noindex)');
    const page: FetchedPage = { source, html, contentHash: contentHash(this.o.version, r.body), validators: { ...this.validatorsOf(r), version: this.o.version, links: inside.map((l) => l.href) } };
    if (stored?.contentHash === page.contentHash) this.result.unchanged.push({ ...page, html: '' });
    else this.result.changed.push(page);
  }

  private validatorsOf(r: Extract<Fetched, { ok: true }>): { etag?: string; lastModified?: string } {
    const etag = header(r.headers, 'etag');
    const lastModified = header(r.headers, 'last-modified');
    return { ...(etag ? { etag } : {}), ...(lastModified ? { lastModified } : {}) };
  }
}
