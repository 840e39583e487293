import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.ts';
import { ingestSite, type SiteIngestRequest } from '../../src/ingest/web/siteIngest.ts';
import { KnowledgeStore } from '../../src/store/knowledgeStore.ts';
import { citationFor } from '../../src/answer/citations.ts';
import { summaryLine } from '../../src/cli/ingestCommand.ts';
import { createServerDatabase, type TestDatabase } from '../support/databases.ts';
import { FakeEmbeddings } from '../support/fakeEmbeddings.ts';
import { page, TestSite, type Route } from '../support/webSite.ts';

/** `kb ingest <URL>` against a small site on 127.0.0.1: robots.txt, a sitemap, redirects, a 404, a slow page, ETags. */
const space = { model: 'fake-32', dimension: 32 };
const TIMEOUT_MS = 1000;
let t: TestDatabase;
let store: KnowledgeStore;
const sites: TestSite[] = [];

beforeAll(async () => {
  t = await createServerDatabase();
  await migrate(t.db);
  store = new KnowledgeStore(t.db);
});
afterEach(async () => {
  await Promise.all(sites.splice(0).map((s) => s.close()));
});
afterAll(async () => {
  await t?.drop();
});

const lagText = 'Watch pg_stat_replication.replay_lag on the primary to see how far each standby is behind.';
const configPage = (lag: string) =>
  page('Configuration', [
    ['wal-level', 'wal_level', 'Set wal_level to replica so the primary writes enough WAL for standbys.'],
    ['lag', 'Replication lag', lag],
  ]);

/** The guide under /guide/, with what a crawl must leave alone around it. */
function guideRoutes(): Record<string, Route> {
  const links = ['intro.html', 'config.html#lag', 'old.html', 'away.html', 'loop.html', 'private/secret.html', '../other/outside.html', 'missing.html', 'slow.html', 'removed.html', 'mailto:dba@example.com'];
  return {
    '/robots.txt': { html: 'User-agent: *\nDisallow: /guide/private/\n', type: 'text/plain', validator: 'none' },
    '/sitemap.xml': {
      html: `<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>/guide/sitemap-only.html</loc></url><url><loc>/guide/private/listed.html</loc></url><url><loc>/other/listed.html</loc></url></urlset>`,
      type: 'application/xml',
      validator: 'none',
    },
    '/guide/': { html: page('Replication guide', [['start', 'Start here', 'This guide covers streaming replication.']], `<p>${links.map((l) => `<a href="${l}">${l}</a>`).join(' ')}</p>`) },
    '/guide/intro.html': { html: page('Introduction', [['streaming', 'Streaming replication', 'A standby streams WAL from the primary over a replication connection.'], ['slots', 'Replication slots', 'A slot keeps WAL on the primary until every standby has received it.']]) },
    '/guide/config.html': { html: configPage(lagText) },
    '/guide/old.html': { redirect: '/guide/moved.html' },
    '/guide/moved.html': { html: page('Failover', [['promote', 'Promoting a standby', 'Run pg_promote() on the standby to make it the new primary.']]), validator: 'last-modified' },
    '/guide/away.html': { redirect: '/other/outside.html', status: 302 },
    '/guide/loop.html': { redirect: '/guide/loop.html', status: 307 },
    '/guide/sitemap-only.html': { html: page('Monitoring', [['views', 'Statistics views', 'pg_stat_wal_receiver shows the state of the WAL receiver on a standby.']]) },
    '/guide/removed.html': { html: page('Logical decoding', [['plugins', 'Output plugins', 'An output plugin turns decoded changes into a stream for subscribers.']]) },
    '/guide/slow.html': { slow: 4 * TIMEOUT_MS },
    '/guide/private/secret.html': { html: page('Secret', [['s', 'Secret', 'Never fetched.']]) },
    '/guide/private/listed.html': { html: page('Listed', [['s', 'Listed', 'Never fetched.']]) },
    '/other/outside.html': { html: page('Outside', [['o', 'Outside', 'Outside the guide.']]) },
    '/other/listed.html': { html: page('Outside', [['o', 'Outside', 'Outside the guide.']]) },
  };
}

async function startSite(routes: Record<string, Route> = guideRoutes()): Promise<TestSite> {
  const site = await new TestSite(routes).start();
  sites.push(site);
  return site;
}

function crawler(embeddings = new FakeEmbeddings(32), delayMs = 0) {
  return {
    embeddings,
    run: (req: Partial<SiteIngestRequest> & { url: string; collection: string }) =>
      ingestSite({ db: t.db, store, embeddings, space }, { concurrency: 2, delayMs, timeoutMs: TIMEOUT_MS }, { allowPrivate: true, ...req }),
  };
}

const sourcesOf = async (collection: string) => [...(await store.documents.documentStates(collection)).keys()].sort();

describe('ingesting a web site', () => {
  it('ingests the pages under the URL and its sitemap, honouring robots.txt, following a redirect, and reporting the 404, the slow page and the redirects it refuses', async () => {
    const site = await startSite();
    const { run } = crawler();
    const s = await run({ url: site.url('/guide/'), sitemap: site.url('/sitemap.xml'), collection: 'site-first' });
    const u = (p: string) => site.url(p);
    expect(await sourcesOf('site-first')).toEqual(['/guide/', '/guide/config.html', '/guide/intro.html', '/guide/moved.html', '/guide/removed.html', '/guide/sitemap-only.html'].map(u).sort());
    expect(s).toMatchObject({ added: 6, changed: 0, unchanged: 0, removed: 0, web: { notModified: 0, notFetched: 0 } });
    expect(s.skipped).toEqual(
      [
        { source: u('/guide/away.html'), reason: `redirected to ${u('/other/outside.html')}: outside ${new URL(site.origin).host}/guide/` },
        { source: u('/guide/loop.html'), reason: 'more than 5 redirects' },
        { source: u('/guide/missing.html'), reason: 'answered 404' },
        { source: u('/guide/private/listed.html'), reason: 'disallowed by robots.txt' },
        { source: u('/guide/private/secret.html'), reason: 'disallowed by robots.txt' },
        { source: u('/guide/slow.html'), reason: `no answer within ${TIMEOUT_MS} ms` },
      ].sort((a, b) => (a.source < b.source ? -1 : 1)),
    );
    // Nothing outside the folder, nothing robots.txt disallows, was ever requested.
    const paths = new Set(site.seen().map((r) => r.path));
    for (const never of ['/guide/private/secret.html', '/guide/private/listed.html', '/other/outside.html', '/other/listed.html']) expect(paths.has(never), never).toBe(false);
    expect(site.seen('/robots.txt')).toHaveLength(1);
    expect(site.seen('/guide/loop.html')).toHaveLength(6);
    expect(site.seen()[0]!.userAgent).toMatch(/^kb-bot\//);
    expect(site.maxInFlight).toBeLessThanOrEqual(2);

    // A chunk cites the page's URL with its heading's anchor.
    const row = (await t.db.query<{ id: string }>("SELECT c.id::text AS id FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.collection = 'site-first' AND c.anchor = 'lag'")).rows[0]!;
    const chunk = (await store.documents.chunks([row.id])).get(row.id)!;
    expect(citationFor({ chunk, score: 1 } as never, 1)).toMatchObject({ title: 'Configuration › Replication lag', url: `${u('/guide/config.html')}#lag`, location: `${u('/guide/config.html')}#lag` });
  });

  it('fetches conditionally on a second run (If-None-Match, If-Modified-Since) and embeds nothing', async () => {
    const site = await startSite();
    const { run, embeddings } = crawler();
    await run({ url: site.url('/guide/'), sitemap: site.url('/sitemap.xml'), collection: 'site-again' });
    const before = { calls: embeddings.calls, texts: embeddings.texts };
    site.requests.length = 0;
    const again = await run({ url: site.url('/guide/'), collection: 'site-again' });
    expect(again).toMatchObject({ added: 0, changed: 0, unchanged: 6, removed: 0, embedded: 0, web: { notModified: 6 } });
    expect({ calls: embeddings.calls, texts: embeddings.texts }).toEqual(before);
    expect(site.seen('/guide/intro.html')).toEqual([expect.objectContaining({ ifNoneMatch: expect.stringMatching(/^"[0-9a-f]+"$/), status: 304 })]);
    expect(site.seen('/guide/moved.html').every((r) => r.ifModifiedSince !== undefined && r.status === 304)).toBe(true);
    // No page links to the sitemap's own page and no sitemap is given now, but it is stored: it is checked too.
    expect(site.seen('/guide/sitemap-only.html').map((r) => r.status)).toEqual([304]);
    // --rehash fetches in full, and the content hashes say nothing changed.
    site.requests.length = 0;
    const rehashed = await run({ url: site.url('/guide/'), collection: 'site-again', rehash: true });
    expect(rehashed).toMatchObject({ changed: 0, unchanged: 6, embedded: 0, web: { notModified: 0 } });
    expect(site.seen('/guide/intro.html')).toEqual([expect.objectContaining({ ifNoneMatch: undefined, status: 200 })]);
  });

  it('re-embeds only the changed chunks of an edited page', async () => {
    const site = await startSite();
    const { run, embeddings } = crawler();
    await run({ url: site.url('/guide/'), collection: 'site-edit' });
    site.routes.set('/guide/config.html', { html: configPage('Compare pg_last_wal_replay_lsn() on the standby with the primary to measure replication lag.') });
    const texts = embeddings.texts;
    const edited = await run({ url: site.url('/guide/'), collection: 'site-edit' });
    expect(edited).toMatchObject({ added: 0, changed: 1, unchanged: 4, chunks: 2, embedded: 1, reused: 1 });
    expect(embeddings.texts - texts).toBe(1);
    const lag = await t.db.query<{ content: string }>("SELECT c.content FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.collection = 'site-edit' AND c.anchor = 'lag'");
    expect(lag.rows.map((r) => r.content)).toEqual(['Compare pg_last_wal_replay_lsn() on the standby with the primary to measure replication lag.']);
  });

  it('prunes a page that now answers 404 with --prune, keeps it without, and never prunes a page outside the crawled folder', async () => {
    const site = await startSite();
    const { run } = crawler();
    await run({ url: site.url('/guide/'), collection: 'site-prune' });
    await run({ url: site.url('/other/outside.html'), collection: 'site-prune' });
    site.routes.delete('/guide/removed.html');
    site.routes.delete('/other/outside.html');
    const kept = await run({ url: site.url('/guide/'), collection: 'site-prune' });
    expect(kept.removed).toBe(0);
    expect(kept.skipped).toContainEqual({ source: site.url('/guide/removed.html'), reason: 'gone (404; --prune removes it)' });
    expect(await sourcesOf('site-prune')).toContain(site.url('/guide/removed.html'));
    const pruned = await run({ url: site.url('/guide/'), collection: 'site-prune', prune: true });
    expect(pruned).toMatchObject({ removed: 1, embedded: 0 });
    expect(pruned.skipped.map((s) => s.source)).not.toContain(site.url('/guide/removed.html'));
    const left = await sourcesOf('site-prune');
    expect(left).not.toContain(site.url('/guide/removed.html'));
    expect(left).toContain(site.url('/other/outside.html'));
    expect(left).toHaveLength(5);
  });

  it('treats a page that answers 410 Gone as a 404: kept and reported without --prune, removed with it', async () => {
    const site = await startSite();
    const { run } = crawler();
    await run({ url: site.url('/guide/'), collection: 'site-gone' });
    site.routes.set('/guide/removed.html', { status: 410 });
    const kept = await run({ url: site.url('/guide/'), collection: 'site-gone' });
    expect(kept.skipped).toContainEqual({ source: site.url('/guide/removed.html'), reason: 'gone (410; --prune removes it)' });
    expect(await sourcesOf('site-gone')).toContain(site.url('/guide/removed.html'));
    expect(await run({ url: site.url('/guide/'), collection: 'site-gone', prune: true })).toMatchObject({ removed: 1, embedded: 0 });
    expect(await sourcesOf('site-gone')).not.toContain(site.url('/guide/removed.html'));
  });

  it("starts page requests at least WEB_DELAY_MS apart with two in flight, or the site's longer Crawl-delay", async () => {
    const pages = ['a.html', 'b.html', 'c.html', 'd.html'];
    const routes = (robots: string): Record<string, Route> => ({
      '/robots.txt': { html: robots, type: 'text/plain', validator: 'none' },
      '/docs/': { html: page('Runbooks', [['start', 'Start here', 'Runbooks for the database team.']], pages.map((l) => `<a href="${l}">${l}</a>`).join(' ')) },
      ...Object.fromEntries(pages.map((l) => [`/docs/${l}`, { html: page(l, [['s', l, `The runbook ${l}.`]]) }])),
    });
    // Arrival times at the site: one request can reach it a little late and the next on time,
    // so each gap may fall short of the delay by a few milliseconds, and the whole run cannot.
    const expectSpaced = (site: TestSite, delayMs: number) => {
      const starts = site.requests.filter((r) => r.path.startsWith('/docs/')).map((r) => r.at);
      expect(starts).toHaveLength(pages.length + 1);
      for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(delayMs - 30);
      expect(starts[starts.length - 1]! - starts[0]!).toBeGreaterThanOrEqual((starts.length - 1) * delayMs - 30);
    };
    const paced = await startSite(routes('User-agent: *\nDisallow:\n'));
    await crawler(new FakeEmbeddings(32), 120).run({ url: paced.url('/docs/'), collection: 'site-paced' });
    expectSpaced(paced, 120);
    expect(paced.maxInFlight).toBeLessThanOrEqual(2);
    const slower = await startSite(routes('User-agent: *\nCrawl-delay: 0.3\n'));
    await crawler(new FakeEmbeddings(32), 120).run({ url: slower.url('/docs/'), collection: 'site-crawl-delay' });
    expectSpaced(slower, 300);
  });

  it('stops at --max-pages pages, fetching and storing no more, and says how many it left', async () => {
    // The first link is one robots.txt disallows: refused before any request, it takes no page of the budget.
    const links = ['private/p.html', 'a.html', 'b.html', 'c.html', 'd.html'];
    const site = await startSite({
      '/robots.txt': { html: 'User-agent: *\nDisallow: /docs/private/\n', type: 'text/plain', validator: 'none' },
      '/docs/': { html: page('Runbooks', [['start', 'Start here', 'Runbooks for the database team.']], links.map((l) => `<a href="${l}">${l}</a>`).join(' ')) },
      ...Object.fromEntries(links.map((l) => [`/docs/${l}`, { html: page(l, [['s', l, `The runbook ${l}.`]]) }])),
    });
    const { run } = crawler();
    const s = await run({ url: site.url('/docs/'), collection: 'site-max', maxPages: 2 });
    const pages = site.seen().filter((r) => r.path !== '/robots.txt');
    expect(pages.map((r) => r.path)).toEqual(['/docs/', '/docs/a.html']);
    expect(await sourcesOf('site-max')).toEqual([site.url('/docs/'), site.url('/docs/a.html')]);
    expect(s).toMatchObject({ added: 2, web: { requested: 2, notFetched: 3 } });
    expect(s.skipped).toEqual([{ source: site.url('/docs/private/p.html'), reason: 'disallowed by robots.txt' }]);
    expect(summaryLine(s)).toContain('2 pages requested (0 not modified), 3 more found and left for --max-pages');
  });

  it('with --same-origin, does not follow a link to the same host over the other scheme, which it follows without', async () => {
    const site = await startSite({ '/docs/a.html': { html: page('Backups', [['s', 'Backups', 'Take a base backup nightly.']]) } });
    // The same host and port, over https: in scope by host, another origin.
    const other = site.url('/docs/tls.html').replace('http:', 'https:');
    site.routes.set('/docs/', { html: page('Runbooks', [['start', 'Start here', 'Runbooks for the database team.']], `<a href="a.html">a</a> <a href="${other}">tls</a>`) });
    const { run } = crawler();
    const loose = await run({ url: site.url('/docs/'), collection: 'site-origin-loose' });
    expect(loose.skipped).toEqual([{ source: other, reason: expect.stringMatching(/^cannot reach https:/) }]);
    const strict = await run({ url: site.url('/docs/'), collection: 'site-origin-strict', sameOrigin: true });
    expect(strict.skipped).toEqual([]);
    expect(strict.web).toMatchObject({ requested: 2 });
    expect(await sourcesOf('site-origin-strict')).toEqual([site.url('/docs/'), site.url('/docs/a.html')]);
  });

  it('refuses a loopback address without --allow-private, fetching nothing, and ingests it with --allow-private', async () => {
    const site = await startSite();
    const { run } = crawler();
    await expect(run({ url: site.url('/guide/'), collection: 'site-private', allowPrivate: false })).rejects.toThrow(
      `${site.url('/guide/')}: 127.0.0.1 is a loopback address: refused (add --allow-private to ingest from a private network)`,
    );
    const byName = site.url('/guide/').replace('127.0.0.1', 'localhost');
    await expect(run({ url: byName, collection: 'site-private', allowPrivate: false })).rejects.toThrow(/^http:\/\/localhost:\d+\/guide\/: localhost resolves to (127\.0\.0\.1|::1), a loopback address: refused/);
    expect(site.seen()).toHaveLength(0);
    expect(await sourcesOf('site-private')).toEqual([]);
    expect(await run({ url: site.url('/guide/'), collection: 'site-private', allowPrivate: true })).toMatchObject({ added: 5 });
  });

  it('stops with one line when robots.txt disallows everything (or answers 503), the site is unreachable or the URL is invalid', async () => {
    const site = await startSite({ ...guideRoutes(), '/robots.txt': { html: 'User-agent: *\nDisallow: /\n', type: 'text/plain', validator: 'none' } });
    const { run } = crawler();
    await expect(run({ url: site.url('/guide/'), collection: 'site-errors' })).rejects.toThrow(`robots.txt of ${site.origin} disallows ${site.url('/guide/')} for kb-bot: nothing fetched`);
    expect(site.seen().map((r) => r.path)).toEqual(['/robots.txt']);

    const failing = await startSite({ ...guideRoutes(), '/robots.txt': { status: 503 } });
    await expect(run({ url: failing.url('/guide/'), collection: 'site-errors' })).rejects.toThrow(`robots.txt of ${failing.origin} answered 503, which disallows everything: nothing fetched`);
    expect(failing.seen().map((r) => r.path)).toEqual(['/robots.txt']);

    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(run({ url: `http://127.0.0.1:${port}/docs/`, collection: 'site-errors' })).rejects.toThrow(`Cannot reach http://127.0.0.1:${port}: ECONNREFUSED`);

    await expect(run({ url: 'docs.example.com/guide/', collection: 'site-errors' })).rejects.toThrow('URL docs.example.com/guide/ is not a URL (e.g. https://docs.example.com/guide/)');
    await expect(run({ url: 'file:///etc/passwd', collection: 'site-errors' })).rejects.toThrow('URL file:///etc/passwd: only http and https URLs can be ingested');
    expect(await sourcesOf('site-errors')).toEqual([]);
  });
});
