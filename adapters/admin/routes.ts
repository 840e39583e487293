import type { IncomingMessage, ServerResponse } from 'node:http';
import type { InsightsService } from '../../src/insights/insights.ts';
import type { Metrics } from '../../src/insights/metrics.ts';
import type { Logger } from '../../src/logger.ts';
import { readBody, type HttpRoute } from '../http/routes.ts';
import { isAuthorized, safeEqual, SESSION_COOKIE, sessionCookie } from './auth.ts';
import { PERIODS, renderAdminPage, renderLoginPage, type PageFilter, type Period } from './page.ts';

/** No script may run on these pages (none is needed), nothing is cached, nothing leaks in a Referer. */
const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

export interface AdminDeps {
  insights: InsightsService;
  token: string;
  logger: Logger;
  now?: () => Date;
}

type Parsed = { ok: true; filter: PageFilter } | { ok: false; message: string };

export function parseFilter(search: URLSearchParams): Parsed {
  const period = search.get('period') || '7d';
  if (!(period in PERIODS)) return { ok: false, message: `period must be one of ${Object.keys(PERIODS).join(', ')}` };
  const platform = search.get('platform') || undefined;
  if (platform && !/^[a-z0-9_-]{1,32}$/.test(platform)) return { ok: false, message: 'platform must be a platform name such as slack or discord' };
  const collection = search.get('collection') || undefined;
  if (collection && !/^[A-Za-z0-9_.-]{1,64}$/.test(collection)) return { ok: false, message: 'collection must use letters, digits, ".", "_" or "-"' };
  return { ok: true, filter: { period: period as Period, platform, collection } };
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...PAGE_HEADERS, ...headers }).end(body);
}

/** `/admin` (the page), `/admin/login` and `/admin/logout`: Bearer token, or the login form's cookie. */
export function adminRoutes(deps: AdminDeps): HttpRoute[] {
  const now = deps.now ?? (() => new Date());
  const page = async (req: IncomingMessage, res: ServerResponse) => {
    if (!isAuthorized(req, deps.token, SESSION_COOKIE)) return send(res, 401, renderLoginPage(), { 'www-authenticate': 'Bearer realm="kb-admin"' });
    const parsed = parseFilter(new URL(req.url ?? '/', 'http://admin').searchParams);
    if (!parsed.ok) return send(res, 400, parsed.message, { 'content-type': 'text/plain; charset=utf-8' });
    const to = now();
    const from = new Date(to.getTime() - PERIODS[parsed.filter.period] * 86_400_000);
    try {
      const report = await deps.insights.report({ from, to, platform: parsed.filter.platform, collection: parsed.filter.collection });
      send(res, 200, renderAdminPage(report, parsed.filter, to));
    } catch (err) {
      deps.logger.error({ err }, 'admin: could not build the page');
      send(res, 503, 'The database is unavailable, try again shortly.', { 'content-type': 'text/plain; charset=utf-8' });
    }
  };
  const login = async (req: IncomingMessage, res: ServerResponse) => {
    let token = '';
    try {
      token = new URLSearchParams(await readBody(req)).get('token') ?? '';
    } catch {
      return send(res, 413, renderLoginPage('That request was too large.'));
    }
    if (!safeEqual(token, deps.token)) {
      deps.logger.warn('admin: a login with a wrong token was refused');
      return send(res, 401, renderLoginPage('Wrong token.'));
    }
    send(res, 303, '', { location: '/admin', 'set-cookie': sessionCookie(deps.token, req) });
  };
  const logout = (req: IncomingMessage, res: ServerResponse) => send(res, 303, '', { location: '/admin', 'set-cookie': sessionCookie(undefined, req) });
  return [
    { path: '/admin', method: ['GET'], handler: page },
    { path: '/admin/login', method: ['POST'], handler: login },
    { path: '/admin/logout', method: ['POST'], handler: logout },
  ];
}

/** `GET /metrics` in Prometheus' text format; with a token, only for `Authorization: Bearer <token>`. */
export function metricsRoute(metrics: Metrics, token: string | undefined, logger: Logger): HttpRoute {
  return {
    path: '/metrics',
    method: ['GET'],
    handler: async (req, res) => {
      if (token && !isAuthorized(req, token)) {
        res.writeHead(401, { 'content-type': 'text/plain; charset=utf-8', 'www-authenticate': 'Bearer realm="kb-metrics"' }).end('unauthorized');
        return;
      }
      try {
        const body = await metrics.text();
        res.writeHead(200, { 'content-type': metrics.contentType }).end(body);
      } catch (err) {
        logger.error({ err }, 'metrics: could not collect');
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('could not collect metrics');
      }
    },
  };
}
