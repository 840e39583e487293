import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { isAuthorized, safeEqual, sessionCookie, sessionValue } from '../../adapters/admin/auth.ts';
import { esc, safeHref } from '../../adapters/admin/html.ts';
import { parseFilter } from '../../adapters/admin/routes.ts';
import { operatorRoutes } from '../../adapters/admin/operatorRoutes.ts';
import type { App } from '../../src/app.ts';
import { Metrics } from '../../src/insights/metrics.ts';
import { groupNearDuplicates } from '../../src/insights/gaps.ts';
import { BufferedInteractionRecorder } from '../../src/insights/recorder.ts';
import { RecordingAssistant } from '../../src/insights/recordingAssistant.ts';
import type { InteractionStore } from '../../src/store/interactionStore.ts';
import { createLogger } from '../../src/logger.ts';
import { FakeAssistant } from '../support/fakeAssistant.ts';

const at = new Date('2026-11-30T10:00:00Z');
const q = (text: string, refused = true) => ({ text, refused, at });

describe('coverage gaps grouping', () => {
  it('puts rewordings of one question in one group named by its most frequent wording', () => {
    const groups = groupNearDuplicates([q('How do I create a partial index?'), q('creating partial indexes'), q('How do I create a partial index?'), q('what is a partial index', false), q('What is a BRIN index?')]);
    expect(groups.map((g) => [g.question, g.count, g.refused, g.lowConfidence])).toEqual([
      ['How do I create a partial index?', 4, 3, 1],
      ['What is a BRIN index?', 1, 1, 0],
    ]);
    expect(groups[0]!.variants).toEqual(['creating partial indexes', 'what is a partial index']);
  });

  it('keeps questions that share only one of several terms apart', () => {
    const groups = groupNearDuplicates([q('tune autovacuum cost delay'), q('tune checkpoint timeout settings')]);
    expect(groups).toHaveLength(2);
  });

  it('groups questions with no content words by their text only', () => {
    expect(groupNearDuplicates([q('why?'), q('Why?'), q('how?')]).map((g) => g.count)).toEqual([2, 1]);
  });
});

const req = (headers: Record<string, string>) => ({ headers, socket: {} }) as unknown as IncomingMessage;

describe('admin access', () => {
  const token = 'unit-test-admin-token-123456';
  it('accepts the Bearer token or the session cookie, nothing else', () => {
    expect(isAuthorized(req({ authorization: `Bearer ${token}` }), token, 'kb_admin')).toBe(true);
    expect(isAuthorized(req({ cookie: `other=1; kb_admin=${sessionValue(token)}` }), token, 'kb_admin')).toBe(true);
    expect(isAuthorized(req({ cookie: `kb_admin=${token}` }), token, 'kb_admin')).toBe(false);
    expect(isAuthorized(req({ authorization: `Bearer ${token}x` }), token, 'kb_admin')).toBe(false);
    expect(isAuthorized(req({ cookie: `kb_admin=${sessionValue(token)}` }), token)).toBe(false);
    expect(safeEqual('a', 'a')).toBe(true);
    expect(safeEqual('a', 'ab')).toBe(false);
  });

  it('sets an HttpOnly, SameSite=Strict cookie that does not hold the token', () => {
    const c = sessionCookie(token, req({ 'x-forwarded-proto': 'https' }));
    expect(c).toMatch(/^kb_admin=[\w-]+; Path=\/admin; HttpOnly; SameSite=Strict; Max-Age=43200; Secure$/);
    expect(c).not.toContain(token);
    expect(sessionCookie(undefined, req({}))).toMatch(/^kb_admin=; .*Max-Age=0$/);
  });

  it('escapes markup and links only http(s) URLs', () => {
    expect(esc(`<script>"x"&'y'</script>`)).toBe('&lt;script&gt;&quot;x&quot;&amp;&#39;y&#39;&lt;/script&gt;');
    expect(safeHref('javascript:alert(1)')).toBeUndefined();
    expect(safeHref('https://example.com/?a="b"')).toBe('https://example.com/?a=&quot;b&quot;');
  });

  it('serves /admin only when ADMIN_TOKEN is set, /metrics always', () => {
    const app = (adminToken?: string) => ({ config: { insights: { adminToken } }, metrics: new Metrics(), logger: createLogger({ level: 'silent' }) }) as unknown as App;
    expect(operatorRoutes(app()).map((r) => r.path)).toEqual(['/metrics']);
    expect(operatorRoutes(app(token)).map((r) => r.path)).toEqual(['/metrics', '/admin', '/admin/login', '/admin/logout']);
  });

  it('refuses a filter it does not know with a one-line reason', () => {
    expect(parseFilter(new URLSearchParams('period=5y'))).toEqual({ ok: false, message: 'period must be one of 1d, 7d, 30d, 90d' });
    expect(parseFilter(new URLSearchParams("collection=x';drop"))).toMatchObject({ ok: false });
    expect(parseFilter(new URLSearchParams(''))).toEqual({ ok: true, filter: { period: '7d', platform: undefined, collection: undefined } });
  });
});

describe('recording off the answer path', () => {
  const logger = createLogger({ level: 'silent' });
  const answer = { text: 'a [1]', citations: [], confidence: 0.9, refused: false, standaloneQuestion: 'q' };
  const inner = new FakeAssistant(() => answer);

  it('answers while the database never finishes a write, and drops the oldest rows past the buffer', async () => {
    const inserted: string[][] = [];
    const hanging = { insert: (rows: Array<{ question: string }>) => (inserted.push(rows.map((r) => r.question)), new Promise<void>(() => undefined)) } as unknown as InteractionStore;
    const recorder = new BufferedInteractionRecorder({ store: hanging, hashKey: 'k'.repeat(16), retentionDays: 90, defaultScope: ['default'], logger, flushDelayMs: 0, maxBuffered: 3 });
    const assistant = new RecordingAssistant(inner, recorder, undefined, () => undefined);
    for (let i = 0; i < 10; i++) expect(await assistant.answer({ question: `q${i}`, user: 'slack:U1' })).toBe(answer);
    await new Promise((r) => setTimeout(r, 10));
    expect(inserted).toEqual([['q7', 'q8', 'q9']]);
  });

  it('answers when the recorder itself throws', async () => {
    const broken = { record: () => { throw new Error('boom'); }, recordFeedback: () => undefined, close: async () => undefined };
    const errors: unknown[] = [];
    const assistant = new RecordingAssistant(inner, broken, undefined, (e) => errors.push(e));
    expect(await assistant.answer({ question: 'q', user: 'slack:U1' })).toBe(answer);
    expect(errors).toHaveLength(1);
  });
});
