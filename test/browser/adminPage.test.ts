/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAdminServer, type AdminServer } from '../../adapters/admin/server.ts';
import type { InteractionRow } from '../../src/insights/types.ts';
import { InteractionStore } from '../../src/store/interactionStore.ts';
import { createServerDatabase, type TestDatabase } from '../support/databases.ts';
import { CACHE_DIR, ROOT } from '../support/reliabilityKit.ts';

/**
 * The admin page in headless Chromium (Debian's package, installed by scripts/test.sh),
 * against real PostgreSQL holding seeded interactions.
 */
const TOKEN = 'admin-page-test-token-7f3a9c';
const ARTIFACTS = path.join(ROOT, 'test', 'artifacts');
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const XSS = '<script>window.__pwned = 1</script> what is <b>WAL</b>?';

let database: TestDatabase;
let dataDir: string;
let server: AdminServer;
let browser: Browser;
let base: string;

const day = 86_400_000;
function row(over: Partial<InteractionRow> & { daysAgo: number }): InteractionRow {
  const { daysAgo, ...rest } = over;
  const question = rest.question ?? 'How do I create a partial index?';
  return {
    created_at: new Date(Date.now() - daysAgo * day - 60_000).toISOString(),
    platform: 'slack',
    conversation_hash: null,
    user_hash: 'u'.repeat(32),
    collections: ['default'],
    question,
    standalone_question: question,
    outcome: 'answered',
    confidence: 0.9,
    answer: 'Add a WHERE clause to CREATE INDEX [1].',
    sources: [{ title: 'Partial Indexes', collection: 'default', source: 'indexes-partial.html', location: 'indexes-partial.html', url: 'https://www.postgresql.org/docs/15/indexes-partial.html' }],
    latency_ms: 120,
    cache_hit: false,
    degraded: false,
    ...rest,
  };
}

function seed(): InteractionRow[] {
  const refused = { outcome: 'refused' as const, confidence: 0.2, answer: "I don't know", sources: [] };
  const rows: InteractionRow[] = [];
  // One gap asked six ways: the page must show it as one row with a count of 6.
  for (const [i, q] of ['How do I tune autovacuum?', 'How do I tune autovacuum?', 'How do I tune autovacuum?', 'how to tune the autovacuum', 'Tuning autovacuum', 'tuning autovacuum settings'].entries()) {
    rows.push(row({ ...refused, question: q, daysAgo: i % 4 }));
  }
  rows.push(row({ ...refused, question: 'What is a BRIN index?', platform: 'discord', collections: ['runbooks'], daysAgo: 1 }));
  rows.push(row({ ...refused, question: 'What is a BRIN index?', platform: 'discord', collections: ['runbooks'], daysAgo: 2 }));
  rows.push(row({ ...refused, question: XSS, daysAgo: 0 }));
  // Answers over five days, with latency rising and one degraded answer a day.
  for (let d = 0; d < 5; d++) {
    for (let i = 0; i < 6; i++) rows.push(row({ daysAgo: d, latency_ms: 80 + d * 40 + i * 15, platform: i % 3 === 0 ? 'discord' : 'slack' }));
    rows.push(row({ daysAgo: d, degraded: true, latency_ms: 900 }));
  }
  rows.push(row({ daysAgo: 1, question: 'How do I list all indexes?', answer: 'Use <i>\\di</i> in psql [1].', latency_ms: 95 }));
  return rows;
}

beforeAll(async () => {
  if (!CHROMIUM) throw new Error('Chromium is missing: run `npm test` (scripts/test.sh installs Debian\'s chromium package)');
  database = await createServerDatabase();
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'kb-admin-'));
  server = await startAdminServer({ DATABASE_URL: database.url, KB_DATA_DIR: dataDir, KB_CACHE_DIR: CACHE_DIR, EMBEDDINGS: 'local', ADMIN_TOKEN: TOKEN, PORT: '0', LOG_LEVEL: 'silent' });
  const store = new InteractionStore(server.app.db);
  await store.insert(seed());
  // A 👎 on the answer to "How do I list all indexes?" (its text holds markup, shown as text).
  await server.app.db.query("UPDATE interactions SET feedback = 'down' WHERE question = 'How do I list all indexes?'");
  base = `http://127.0.0.1:${server.port()}`;
  browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'] });
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await database?.drop();
  await fs.rm(dataDir, { recursive: true, force: true });
});

/** A page in a fresh browser context (no cookies), logged in through the form. */
async function loggedIn(): Promise<Page> {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await page.setViewport({ width: 1180, height: 900 });
  const first = await page.goto(`${base}/admin`);
  expect(first?.status()).toBe(401);
  await page.type('input[name=token]', TOKEN);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  return page;
}

const gapRows = (page: Page) => page.$$eval('#gaps tr.gap', (trs) => trs.map((tr) => ({ question: tr.querySelector('.question')?.textContent ?? '', count: Number(tr.querySelector('.count')?.textContent) })));

describe('the admin page in a browser', () => {
  it('refuses a request without the token with 401, and a wrong token too', async () => {
    expect((await fetch(`${base}/admin`)).status).toBe(401);
    expect((await fetch(`${base}/admin`, { headers: { authorization: 'Bearer not-the-token' } })).status).toBe(401);
    expect((await fetch(`${base}/admin`, { headers: { cookie: `kb_admin=${TOKEN}` } })).status).toBe(401);
    const wrong = await fetch(`${base}/admin/login`, { method: 'POST', body: new URLSearchParams({ token: 'nope' }), redirect: 'manual' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    expect((await fetch(`${base}/admin`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
  });

  it('logs in with the form and keeps the session in an HttpOnly, SameSite cookie', async () => {
    const page = await loggedIn();
    expect(page.url()).toBe(`${base}/admin`);
    const cookies = await page.browserContext().cookies();
    const session = cookies.find((c) => c.name === 'kb_admin');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/admin' });
    expect(session!.value).not.toContain(TOKEN);
    expect(await page.evaluate(() => document.cookie)).toBe('');
    await page.browserContext().close();
  });

  it('groups near-duplicate gaps into one row with a count, most asked first', async () => {
    const page = await loggedIn();
    await page.goto(`${base}/admin?period=30d`);
    const gaps = await gapRows(page);
    expect(gaps[0]).toEqual({ question: 'How do I tune autovacuum?', count: 6 });
    expect(gaps.find((g) => g.question === 'What is a BRIN index?')?.count).toBe(2);
    expect(gaps.filter((g) => /autovacuum/i.test(g.question))).toHaveLength(1);
    const variants = await page.$eval('#gaps tr.gap .variants', (el) => el.textContent ?? '');
    expect(variants).toMatch(/tuning autovacuum settings/);
    await page.browserContext().close();
  });

  it('renders the rate and latency charts as SVG, one bar stack and one point per day', async () => {
    const page = await loggedIn();
    await page.goto(`${base}/admin?period=7d`);
    const chart = await page.evaluate(() => {
      const rates = document.querySelector('#rates-chart');
      const latency = document.querySelector('#latency-chart');
      const box = rates?.getBoundingClientRect();
      return {
        width: box?.width ?? 0,
        days: new Set([...(rates?.querySelectorAll('rect.bar') ?? [])].map((r) => r.getAttribute('data-day'))).size,
        refusedBars: rates?.querySelectorAll('rect.bar.refused').length ?? 0,
        lines: latency?.querySelectorAll('polyline').length ?? 0,
        p95Points: latency?.querySelectorAll('circle.p95').length ?? 0,
      };
    });
    expect(chart.width).toBeGreaterThan(300);
    expect(chart.days).toBe(5);
    expect(chart.refusedBars).toBeGreaterThan(0);
    expect(chart.lines).toBe(2);
    expect(chart.p95Points).toBe(5);
    const platforms = await page.$$eval('#per-platform tbody tr td:first-child', (tds) => tds.map((td) => td.textContent));
    expect(platforms).toEqual(['discord', 'slack']);
    await fs.mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'admin.png'), fullPage: true });
    await page.browserContext().close();
  });

  it('changes the rows with the platform and collection filters (plain GET form, no script)', async () => {
    const page = await loggedIn();
    await page.goto(`${base}/admin?period=30d`);
    await page.select('select[name=platform]', 'discord');
    await Promise.all([page.waitForNavigation(), page.click('form.filters button[type=submit]')]);
    expect(new URL(page.url()).searchParams.get('platform')).toBe('discord');
    expect(await gapRows(page)).toEqual([{ question: 'What is a BRIN index?', count: 2 }]);
    await page.goto(`${base}/admin?period=30d&collection=default`);
    const gaps = await gapRows(page);
    expect(gaps.map((g) => g.question)).not.toContain('What is a BRIN index?');
    expect(gaps[0]?.count).toBe(6);
    await page.goto(`${base}/admin?period=1d`);
    expect((await gapRows(page)).find((g) => /autovacuum/.test(g.question))?.count).toBe(2);
    await page.browserContext().close();
  });

  it('shows a question containing <script> as text and runs no script', async () => {
    const page = await loggedIn();
    await page.goto(`${base}/admin?period=7d`);
    const shown = await page.$$eval('#gaps .question', (els) => els.map((e) => e.textContent));
    expect(shown).toContain(XSS);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.$$eval('script', (s) => s.length)).toBe(0);
    expect(await page.$$eval('#gaps b', (b) => b.length)).toBe(0);
    const answer = await page.$eval('#downvoted blockquote', (el) => ({ text: el.textContent, italics: el.querySelectorAll('i').length }));
    expect(answer).toEqual({ text: 'Use <i>\\di</i> in psql [1].', italics: 0 });
    await page.browserContext().close();
  });
});
