import { describe, expect, it } from 'vitest';
import { guardedLookup, nonPublicReason, PrivateAddressError } from '../../src/ingest/web/address.ts';
import { crawlScope, decodePage, inScope, pageLinks, sitemapEntries } from '../../src/ingest/web/scope.ts';
import { gzipSync } from 'node:zlib';

describe('the private-address rule', () => {
  it('names every loopback, private, link-local and reserved address, IPv4 inside IPv6 included', () => {
    expect(nonPublicReason('127.0.0.1')).toBe('a loopback address');
    expect(nonPublicReason('127.255.0.9')).toBe('a loopback address');
    expect(nonPublicReason('10.1.2.3')).toBe('a private address');
    expect(nonPublicReason('172.16.0.1')).toBe('a private address');
    expect(nonPublicReason('172.31.255.255')).toBe('a private address');
    expect(nonPublicReason('192.168.1.1')).toBe('a private address');
    expect(nonPublicReason('169.254.169.254')).toBe('a link-local address');
    expect(nonPublicReason('100.64.0.1')).toBe('a shared (carrier-grade NAT) address');
    expect(nonPublicReason('0.0.0.0')).toBe('a "this network" address');
    expect(nonPublicReason('224.0.0.1')).toBe('a multicast address');
    expect(nonPublicReason('255.255.255.255')).toBe('a reserved address');
    expect(nonPublicReason('::1')).toBe('a loopback address');
    expect(nonPublicReason('::')).toBe('the unspecified address');
    expect(nonPublicReason('fd12:3456::1')).toBe('a private (unique local) address');
    expect(nonPublicReason('fe80::1%eth0')).toBe('a link-local address');
    expect(nonPublicReason('::ffff:127.0.0.1')).toBe('a loopback address');
    expect(nonPublicReason('::ffff:a9fe:a9fe')).toBe('a link-local address');
    expect(nonPublicReason('64:ff9b::10.0.0.1')).toBe('a private address');
  });

  it('lets public addresses through', () => {
    for (const a of ['93.184.216.34', '8.8.8.8', '172.32.0.1', '192.169.0.1', '100.128.0.1', '2606:2800:220:1:248:1893:25c8:1946', '::ffff:8.8.8.8', '2a00:1450:4001:81b::200e']) expect(nonPublicReason(a), a).toBeUndefined();
  });
});

describe('the sockets’ own lookup', () => {
  const lookup = (allowPrivate: boolean, all: boolean) =>
    new Promise<{ err: NodeJS.ErrnoException | null; address: unknown }>((resolve) => guardedLookup(allowPrivate)('localhost', { all }, (err, address) => resolve({ err, address })));
  it('refuses to connect where a name resolves to a loopback address (a rebinding between check and connect included)', async () => {
    const { err } = await lookup(false, true);
    expect(err).toBeInstanceOf(PrivateAddressError);
    expect(err!.message).toMatch(/^localhost resolves to (127\.0\.0\.1|::1), a loopback address$/);
  });
  it('connects there with --allow-private', async () => {
    const one = await lookup(true, false);
    expect(one.err).toBeNull();
    expect(['127.0.0.1', '::1']).toContain(one.address);
    const all = await lookup(true, true);
    expect((all.address as { address: string }[]).length).toBeGreaterThan(0);
  });
});

describe('crawl scope', () => {
  const scope = crawlScope(new URL('https://docs.example.com/guide/intro.html'), false);
  it('covers the folder of the URL on its host, over http or https, and nothing beside it', () => {
    expect(scope.folder).toBe('/guide/');
    expect(inScope(scope, new URL('https://docs.example.com/guide/a/b.html'))).toBe(true);
    expect(inScope(scope, new URL('http://docs.example.com/guide/'))).toBe(true);
    expect(inScope(scope, new URL('https://docs.example.com/guidelines.html'))).toBe(false);
    expect(inScope(scope, new URL('https://docs.example.com/'))).toBe(false);
    expect(inScope(scope, new URL('https://docs.example.com:8443/guide/'))).toBe(false);
    expect(inScope(scope, new URL('https://evil.example.com/guide/'))).toBe(false);
    expect(inScope(scope, new URL('ftp://docs.example.com/guide/'))).toBe(false);
  });
  it('with --same-origin, only the URL’s own scheme, host and port', () => {
    const strict = crawlScope(new URL('https://docs.example.com/guide/'), true);
    expect(inScope(strict, new URL('https://docs.example.com/guide/x'))).toBe(true);
    expect(inScope(strict, new URL('http://docs.example.com/guide/x'))).toBe(false);
  });
});

describe('links and sitemaps', () => {
  it('resolves links against <base href>, drops fragments, nofollow links and non-http schemes', () => {
    const html = '<base href="/docs/"><a href="a.html#x">a</a><a href="mailto:x@y">m</a><a rel="nofollow" href="b.html">b</a><area href="https://other.example/c">';
    const { links, noindex } = pageLinks(html, new URL('https://s.example/start/index.html'));
    expect(links.map((u) => u.href)).toEqual(['https://s.example/docs/a.html', 'https://other.example/c']);
    expect(noindex).toBe(false);
    expect(pageLinks('<meta name="robots" content="noindex, nofollow"><a href="x">x</a>', new URL('https://s.example/'))).toEqual({ links: [], noindex: true });
  });
  it('decodes a page in the charset of its Content-Type, else of its <meta charset>, else as UTF-8', () => {
    const latin1 = Buffer.from('<meta charset="iso-8859-1"><p>Caf\xe9 r\xe9sum\xe9</p>', 'latin1');
    expect(decodePage(latin1, 'text/html')).toContain('Café résumé');
    expect(decodePage(Buffer.from('<p>Café</p>', 'latin1'), 'text/html; charset=ISO-8859-1')).toBe('<p>Café</p>');
    expect(decodePage(Buffer.from('<p>Café</p>'), undefined)).toBe('<p>Café</p>');
    expect(decodePage(Buffer.from('<p>Café</p>'), 'text/html; charset=no-such-charset')).toBe('<p>Café</p>');
  });
  it('reads the pages of a urlset and the sitemaps of an index, gzipped or not', () => {
    const set = '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc> https://s.example/a </loc><lastmod>2024-01-01</lastmod></url><url><loc>https://s.example/b</loc></url></urlset>';
    expect(sitemapEntries(Buffer.from(set))).toEqual({ pages: ['https://s.example/a', 'https://s.example/b'], sitemaps: [] });
    const index = '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>https://s.example/s1.xml</loc></sitemap></sitemapindex>';
    expect(sitemapEntries(gzipSync(index))).toEqual({ pages: [], sitemaps: ['https://s.example/s1.xml'] });
  });
});
