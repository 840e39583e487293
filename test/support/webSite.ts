import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the site answers for a path: a page (with an ETag or a Last-Modified), a redirect, a status, or a page that takes `delayMs`. */
export type Route =
  | { html: string; validator?: 'etag' | 'last-modified' | 'none'; type?: string }
  | { redirect: string; status?: number }
  | { status: number; body?: string }
  | { slow: number };

export interface SeenRequest {
  path: string;
  ifNoneMatch?: string;
  ifModifiedSince?: string;
  userAgent?: string;
  /** What the site answered. */
  status: number;
  /** When the request arrived (performance.now()). */
  at: number;
}

/**
 * A small web site on 127.0.0.1 for crawl tests. Pages answer 304 to a matching
 * If-None-Match (ETag: a hash of the body) or If-Modified-Since; every request is recorded,
 * and the most requests in flight at once is kept.
 */
export class TestSite {
  readonly routes = new Map<string, Route>();
  readonly requests: SeenRequest[] = [];
  maxInFlight = 0;
  private inFlight = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private server!: http.Server;
  origin = '';

  constructor(routes: Record<string, Route>) {
    for (const [p, r] of Object.entries(routes)) this.routes.set(p, r);
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  url(path: string): string {
    return this.origin + path;
  }

  /** Requests for a path (or all pages, without). */
  seen(path?: string): SeenRequest[] {
    return path === undefined ? this.requests : this.requests.filter((r) => r.path === path);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const seen: SeenRequest = { path, ifNoneMatch: req.headers['if-none-match'], ifModifiedSince: req.headers['if-modified-since'], userAgent: req.headers['user-agent'], status: 0, at: performance.now() };
    this.requests.push(seen);
    let open = true;
    const finish = () => {
      if (open) this.inFlight--;
      open = false;
    };
    // A request the client gave up on (a timeout) is no longer in flight.
    res.on('close', finish);
    const answer = (status: number, headers: Record<string, string> = {}, body = '') => {
      seen.status = status;
      finish();
      res.writeHead(status, headers).end(body);
    };
    const route = this.routes.get(path);
    if (!route) return answer(404, { 'content-type': 'text/html' }, '<h1>Not found</h1>');
    if ('slow' in route) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        if (!res.destroyed) answer(200, { 'content-type': 'text/html' }, '<h1>Finally</h1><p>Too late.</p>');
      }, route.slow);
      this.timers.add(timer);
      return;
    }
    if ('redirect' in route) return answer(route.status ?? 301, { location: route.redirect });
    if (!('html' in route)) return answer(route.status, { 'content-type': 'text/html' }, route.body ?? '');
    const headers: Record<string, string> = { 'content-type': route.type ?? 'text/html; charset=utf-8' };
    const etag = `"${createHash('sha1').update(route.html).digest('hex').slice(0, 16)}"`;
    // A Last-Modified that moves with the content: one second per distinct body is enough here.
    const modified = new Date(Date.UTC(2024, 0, 1) + (parseInt(etag.slice(1, 9), 16) % 1_000_000) * 1000).toUTCString();
    const validator = route.validator ?? 'etag';
    if (validator === 'etag') {
      headers.etag = etag;
      if (req.headers['if-none-match'] === etag) return answer(304, { etag });
    } else if (validator === 'last-modified') {
      headers['last-modified'] = modified;
      if (req.headers['if-modified-since'] === modified) return answer(304, { 'last-modified': modified });
    }
    answer(200, headers, route.html);
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** An HTML page with a title and sections (`## id Heading` style: [id, heading, text]). */
export function page(title: string, sections: [string, string, string][], extra = ''): string {
  return `<!doctype html><html><head><title>${title}</title></head><body><h1>${title}</h1>${sections.map(([id, h, p]) => `<h2 id="${id}">${h}</h2><p>${p}</p>`).join('')}${extra}</body></html>`;
}
