import robotsParserModule from 'robots-parser';
import { ROBOTS_AGENT, type WebFetcher } from './fetcher.ts';

// robots-parser is CommonJS (`module.exports = function`) with types declaring an ES default
// export: under NodeNext the default import is that function, which the types call `.default`.
const robotsParser = robotsParserModule as unknown as typeof robotsParserModule.default;

/** The longest Crawl-delay honoured; a larger one is taken as this. */
export const MAX_CRAWL_DELAY_MS = 30_000;

export interface OriginRobots {
  allows(url: URL): boolean;
  /** The site's Crawl-delay for us, in milliseconds (capped at MAX_CRAWL_DELAY_MS). */
  delayMs?: number;
  /** Why nothing on this origin may be fetched (robots.txt answered a server error, or its redirect was refused). */
  blocked?: string;
  /** robots.txt could not be fetched at all: the site is unreachable. */
  unreachable?: string;
}

/**
 * robots.txt per origin, fetched once each, read as RFC 9309 says: a 4xx (no robots.txt)
 * allows everything, a 5xx (or a refused redirect) disallows everything, rules matched for
 * the `kb-bot` product token (else the `*` group).
 */
export class RobotsTxt {
  private readonly origins = new Map<string, Promise<OriginRobots>>();

  constructor(private readonly fetcher: WebFetcher) {}

  for(url: URL): Promise<OriginRobots> {
    let rules = this.origins.get(url.origin);
    if (!rules) this.origins.set(url.origin, (rules = this.load(url.origin)));
    return rules;
  }

  private async load(origin: string): Promise<OriginRobots> {
    const robotsUrl = new URL('/robots.txt', origin);
    const r = await this.fetcher.get(robotsUrl);
    if (!r.ok) return r.unreachable ? { allows: () => false, unreachable: r.reason } : { allows: () => false, blocked: `robots.txt of ${origin} could not be read (${r.reason})` };
    if (r.status >= 400 && r.status < 500) return { allows: () => true };
    if (r.status !== 200) return { allows: () => false, blocked: `robots.txt of ${origin} answered ${r.status}, which disallows everything` };
    const robot = robotsParser(robotsUrl.href, r.body.toString('utf8'));
    const delay = robot.getCrawlDelay(ROBOTS_AGENT);
    return {
      allows: (url) => robot.isAllowed(url.href, ROBOTS_AGENT) !== false,
      delayMs: delay === undefined || !Number.isFinite(delay) ? undefined : Math.min(Math.max(0, delay) * 1000, MAX_CRAWL_DELAY_MS),
    };
  }
}
