import { KbError } from '../../errors.ts';
import { ensureEmbeddingSpace } from '../../store/vectorIndex.ts';
import type { Metadata } from '../../store/metadata.ts';
import { recordPageValidators, storedPageValidators, type PageValidators } from '../../store/webPages.ts';
import { DEFAULT_CHUNKING } from '../chunker.ts';
import { parseHtml } from '../htmlParser.ts';
import type { IngestSummary } from '../ingest.ts';
import { checkPrune, ingestVersion, writeChanges, type IngestDeps } from '../pipeline.ts';
import { bySource, chunkParsed, fallbackTitle, MAX_FILE_BYTES } from '../sourceFiles.ts';
import { crawl } from './crawl.ts';
import { inScope } from './scope.ts';
import type { WebSettings } from './settings.ts';

export const DEFAULT_MAX_PAGES = 1000;

export interface SiteIngestRequest {
  /** The first page; the crawl stays under its folder. */
  url: string;
  collection: string;
  sitemap?: string;
  maxPages?: number;
  /** Follow links only to the URL's own scheme, host and port (otherwise http and https of its host). */
  sameOrigin?: boolean;
  /** Fetch from loopback, private and link-local addresses. */
  allowPrivate?: boolean;
  /** Remove the stored pages in scope that answered 404 or 410. */
  prune?: boolean;
  /** Let a prune remove every document of the collection. */
  force?: boolean;
  /** Fetch every page in full (no conditional requests) and compare content hashes. */
  rehash?: boolean;
  meta?: Metadata;
  onProgress?: (done: number, total: number) => void;
  /** Pages fetched so far, of those found (the total grows as links are found). */
  onFetched?: (done: number, found: number) => void;
}

/** A URL given on the command line, or a one-line refusal. */
export function webUrl(value: string, what: string): URL {
  if (!URL.canParse(value)) throw new KbError('input/invalid_argument', `${what} ${value} is not a URL (e.g. https://docs.example.com/guide/)`);
  const url = new URL(value);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new KbError('input/invalid_argument', `${what} ${value}: only http and https URLs can be ingested`);
  if (url.username || url.password) throw new KbError('input/invalid_argument', `${what} ${value}: a URL with a user name or password is not fetched`);
  url.hash = '';
  return url;
}

const sameValidators = (a: PageValidators | undefined, b: PageValidators) => !!a && a.etag === b.etag && a.lastModified === b.lastModified && a.version === b.version && a.links.join('\n') === b.links.join('\n');

/**
 * Ingests the pages of a web site into a collection (see crawl): each page is a document
 * whose source and citation URL are the page's URL, parsed by the HTML parser used for
 * files, so a chunk cites `URL#anchor`. New and edited pages are written by writeChanges
 * (an edited page re-embeds only the chunks it changed); unchanged ones cost no embedding
 * work, and what every page answered (ETag, Last-Modified, links) is recorded for the
 * next run's conditional requests.
 */
export async function ingestSite(deps: IngestDeps, web: WebSettings, req: SiteIngestRequest): Promise<IngestSummary> {
  const started = performance.now();
  const start = webUrl(req.url, 'URL');
  const sitemap = req.sitemap === undefined ? undefined : webUrl(req.sitemap, '--sitemap');
  const chunking = deps.chunking ?? DEFAULT_CHUNKING;
  const meta = req.meta && Object.keys(req.meta).length ? req.meta : undefined;
  const version = `${ingestVersion(chunking, meta)};web`;
  const stored = await deps.store.documents.documentStates(req.collection);
  const validators = await storedPageValidators(deps.db, req.collection);
  const known = new Map([...stored].map(([source, d]) => [source, { contentHash: d.contentHash, validators: validators.get(source) }]));

  const found = await crawl({
    start,
    sitemap,
    maxPages: req.maxPages ?? DEFAULT_MAX_PAGES,
    sameOrigin: req.sameOrigin ?? false,
    allowPrivate: req.allowPrivate ?? false,
    ...web,
    maxBytes: MAX_FILE_BYTES,
    stored: known,
    version,
    unconditional: req.rehash,
    onFetched: req.onFetched,
  });

  await ensureEmbeddingSpace(deps.db, deps.space);
  // Only pages of this crawl's scope that answered 404/410 now: never a page it did not ask for.
  const remove = req.prune ? found.gone.filter((s) => stored.has(s) && inScope(found.scope, new URL(s))) : [];
  checkPrune(req.collection, stored, remove, req.force, `every page of it answered 404 or 410`);
  const removed = new Set(remove);
  const result = await writeChanges(deps, {
    collection: req.collection,
    meta,
    stored,
    remove,
    onProgress: req.onProgress,
    pending: found.changed.map((p) => ({ source: p.source, contentHash: p.contentHash, url: p.source, load: (c) => chunkParsed(p.source, p.contentHash, parseHtml(p.html, fallbackTitle(new URL(p.source).pathname) || new URL(p.source).host), c) })),
  });
  const record = [...found.changed, ...found.unchanged.filter((p) => !sameValidators(validators.get(p.source), p.validators))];
  await recordPageValidators(deps.db, req.collection, record);
  return {
    collection: req.collection,
    ...result,
    unchanged: found.unchanged.length,
    skipped: found.skipped.filter((s) => !removed.has(s.source)).sort(bySource),
    seconds: (performance.now() - started) / 1000,
    web: { requested: found.requested, notModified: found.notModified, notFetched: found.notFetched },
  };
}
