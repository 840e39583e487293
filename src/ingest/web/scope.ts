import { gunzipSync } from 'node:zlib';
import { parseDocument } from 'htmlparser2';
import { findAll, textContent } from 'domutils';

/**
 * What a crawl may fetch: pages whose path is under the folder of the URL given
 * (`https://docs.example.com/guide/` covers `/guide/…`; `/guide/intro.html` too, its folder being
 * `/guide/`) on the same host, over http or https; with `sameOrigin`, only the URL's own
 * scheme, host and port.
 */
export interface CrawlScope {
  start: URL;
  folder: string;
  sameOrigin: boolean;
}

export function crawlScope(start: URL, sameOrigin: boolean): CrawlScope {
  return { start, folder: start.pathname.slice(0, start.pathname.lastIndexOf('/') + 1), sameOrigin };
}

export function inScope(scope: CrawlScope, url: URL): boolean {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  const site = scope.sameOrigin ? url.origin === scope.start.origin : url.host === scope.start.host;
  return site && url.pathname.startsWith(scope.folder);
}

/** A page's URL as a document's source: absolute, http(s), without its fragment; undefined when it is none. */
export function pageUrl(href: string, base?: URL): URL | undefined {
  const trimmed = href.trim();
  if (!URL.canParse(trimmed, base?.href)) return undefined;
  const url = new URL(trimmed, base);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  url.hash = '';
  return url;
}

/** The hrefs that are page URLs (pageUrl), as URLs; the others are left out. */
export const pageUrls = (hrefs: string[], base?: URL): URL[] => hrefs.map((h) => pageUrl(h, base)).filter((u): u is URL => u !== undefined);

/**
 * What a crawl reads from an HTML page besides its text: the pages it links to (`a` and `area`
 * hrefs, resolved against its `<base href>`, without rel="nofollow" ones), and whether its
 * `<meta name="robots">` (or `name="kb-bot"`) says noindex or nofollow.
 */
export function pageLinks(html: string, page: URL): { links: URL[]; noindex: boolean } {
  const root = parseDocument(html).children;
  const robots = findAll((el) => el.name === 'meta' && /^(robots|kb-bot)$/i.test(el.attribs.name ?? ''), root).map((el) => el.attribs.content ?? '');
  const says = (word: string) => robots.some((c) => new RegExp(`(^|[\\s,])(${word}|none)([\\s,]|$)`, 'i').test(c));
  const out = new Map<string, URL>();
  if (!says('nofollow')) {
    const baseHref = findAll((el) => el.name === 'base' && typeof el.attribs.href === 'string', root)[0]?.attribs.href;
    const base = (baseHref && pageUrl(baseHref, page)) || page;
    for (const el of findAll((e) => (e.name === 'a' || e.name === 'area') && typeof e.attribs.href === 'string', root)) {
      if (/(^|\s)nofollow(\s|$)/i.test(el.attribs.rel ?? '')) continue;
      const url = pageUrl(el.attribs.href!, base);
      if (url) out.set(url.href, url);
    }
  }
  return { links: [...out.values()], noindex: says('noindex') };
}

/** A page's text in the charset its Content-Type names, else its `<meta charset>` (in its first 1024 bytes), else UTF-8. */
export function decodePage(body: Buffer, contentType: string | undefined): string {
  const charset = /charset\s*=\s*["']?([\w.:-]+)/i;
  const head = body.subarray(0, 1024).toString('latin1');
  const meta = /<meta\s[^>]*charset\s*=\s*["']?([\w.:-]+)/i.exec(head)?.[1];
  const label = charset.exec(contentType ?? '')?.[1] ?? meta ?? 'utf-8';
  try {
    return new TextDecoder(label).decode(body);
  } catch {
    return new TextDecoder('utf-8').decode(body);
  }
}

/**
 * The `<loc>`s of a sitemap (sitemaps.org): pages of a `<urlset>`, further sitemaps of a
 * `<sitemapindex>`. A gzipped sitemap (`sitemap.xml.gz`) is unpacked first.
 */
export function sitemapEntries(body: Buffer): { pages: string[]; sitemaps: string[] } {
  const xml = (body[0] === 0x1f && body[1] === 0x8b ? gunzipSync(body, { maxOutputLength: 50 * 1024 * 1024 }) : body).toString('utf8');
  const root = parseDocument(xml, { xmlMode: true }).children;
  const locs = (parent: string) =>
    findAll((el) => el.name.replace(/^.*:/, '') === 'loc' && el.parent !== null && 'name' in el.parent && el.parent.name.replace(/^.*:/, '') === parent, root).map((el) => textContent(el).trim());
  return { pages: locs('url'), sitemaps: locs('sitemap') };
}
