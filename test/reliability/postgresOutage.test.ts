import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { KbError } from '../../src/errors.ts';
import { TcpProxy } from '../support/tcpProxy.ts';
import { captureLogs, settle, startTestApp, testEnv, watchCrashes, type TestApp } from '../support/reliabilityKit.ts';

/**
 * PostgreSQL goes away while the bot runs (simulated by a TCP proxy in front of the real
 * server that the test stops and restarts). Users get a short "unavailable" answer, ended
 * by the refusal or by the client's own timeouts rather than a hang; the process stays up,
 * and answers resume by themselves when it is back.
 */
const crashes = watchCrashes();
const logs = captureLogs('debug');
const proxy = new TcpProxy({ host: '127.0.0.1', port: 5432 });
let t: TestApp;

beforeAll(async () => {
  await proxy.start();
  // The app reaches its database only through the proxy.
  const viaProxy = (url: string) => url.replace(':5432/', `:${proxy.port}/`);
  t = await startTestApp({ RATE_LIMIT_BURST: '1000', STATEMENT_TIMEOUT_MS: '2000' }, logs.logger, viaProxy);
  await t.app.ensureSampleKnowledgeBase();
});

afterAll(async () => {
  // Reset the proxied sockets first, so closing the pool cannot wait on a blackholed one.
  await proxy.stop();
  await t?.close();
  crashes.dispose();
});

const ask = (question: string) => t.app.assistant.answer({ question, user: 'slack:U1' });

/** The errors underneath a KbError, outermost first (an AggregateError's by its first). */
function causes(err: unknown): Array<{ code?: string; message?: string }> {
  type Chained = { code?: string; message?: string; cause?: unknown; errors?: unknown[] };
  const chain: Chained[] = [];
  for (let e = err as Chained | undefined; e; ) {
    const next = (e.cause ?? e.errors?.[0]) as Chained | undefined;
    if (next) chain.push(next);
    e = next;
  }
  return chain;
}
const causeCodes = (err: unknown) => causes(err).map((c) => c.code);
const causeMessages = (err: unknown) => causes(err).map((c) => c.message).join(' / ');

/** Runs `fn` with PostgreSQL taken away, and brings it back afterwards whatever happens. */
async function whileDown<T>(fn: () => Promise<T>): Promise<T> {
  await proxy.stop();
  try {
    return await fn();
  } finally {
    await proxy.start();
  }
}

// How fast a refusal or a timeout reaches the user is measured by bench/soak.ts; these tests
// check what ends the wait: the refusal itself, or one of the client's own timeouts.
describe('PostgreSQL unreachable at start-up', () => {
  it('fails createApp with db/unavailable naming the address (not the password), from the refusal itself', async () => {
    const closed = new TcpProxy({ host: '127.0.0.1', port: 5432 });
    const port = await closed.start();
    await closed.stop(); // a port that was just free and now refuses connections
    const config = loadConfig(testEnv({ DATABASE_URL: `postgres://kb:hunter2pw@127.0.0.1:${port}/kb` }));
    const r = await settle(createApp(config, logs.logger));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toMatchObject({ code: 'db/unavailable', message: expect.stringContaining(`Cannot reach PostgreSQL at 127.0.0.1:${port}/kb (DATABASE_URL)`) });
    expect((r.error as Error).message).not.toContain('hunter2pw');
    expect(causeCodes(r.error)).toContain('ECONNREFUSED');
  });
});

describe('PostgreSQL silent at start-up', () => {
  it('fails createApp with db/unavailable at the connect timeout when the host accepts but never answers', async () => {
    const silent = new TcpProxy({ host: '127.0.0.1', port: 5432 });
    const port = await silent.start();
    silent.blackhole();
    try {
      const config = loadConfig(testEnv({ DATABASE_URL: `postgres://kb:hunter2pw@127.0.0.1:${port}/kb` }));
      const r = await settle(createApp(config, logs.logger));
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.error).toMatchObject({ code: 'db/unavailable', message: expect.stringContaining(`Cannot reach PostgreSQL at 127.0.0.1:${port}/kb (DATABASE_URL)`) });
      // Without the connect timeout nothing would ever end this wait.
      expect(causeMessages(r.error)).toMatch(/timeout exceeded when trying to connect|connection timeout/);
      expect(silent.accepted).toBeGreaterThan(0);
    } finally {
      await silent.stop();
    }
  });
});

describe('PostgreSQL unreachable, then back', () => {
  it('answers while the database is reachable', async () => {
    const a = await ask('How do I create a partial index?');
    expect(a.refused).toBe(false);
    expect(a.citations.length).toBeGreaterThan(0);
  });

  it('rejects with db/unavailable at the refusal while the server is down, and stays up', async () => {
    await whileDown(async () => {
      for (const q of ['What does VACUUM do?', 'How do I create a partial index?', 'What is MVCC?']) {
        const r = await settle(ask(q));
        expect(r.ok).toBe(false);
        if (r.ok) continue;
        expect(r.error).toBeInstanceOf(KbError);
        expect(r.error).toMatchObject({ code: 'db/unavailable', userMessage: 'The knowledge base is unavailable, try again shortly.' });
        // Ended by the refused (or reset) connection, not by waiting out a timeout.
        expect(causeCodes(r.error).some((c) => c === 'ECONNREFUSED' || c === 'ECONNRESET')).toBe(true);
      }
    });
    expect(crashes.errors).toEqual([]);
  });

  it('answers again by itself once the server is back on the same address', async () => {
    await whileDown(async () => {
      await expect(ask('What does VACUUM do?')).rejects.toMatchObject({ code: 'db/unavailable' });
    });
    const a = await ask('What does VACUUM do?');
    expect(a.refused).toBe(false);
    expect(a.citations.length).toBeGreaterThan(0);
    expect(crashes.errors).toEqual([]);
  });

  it('does not hang on a silent network partition: db/unavailable from a client timeout, then recovers', async () => {
    // Open connections stop answering and new ones are accepted but never served. What ends
    // the wait is the client-side query timeout (STATEMENT_TIMEOUT_MS + 1 s, pooled
    // connections) or the connect timeout: without them the answer would never come.
    await ask('How does connection pooling help?');
    proxy.blackhole();
    try {
      const r = await settle(ask('What are isolation levels?'));
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.error).toMatchObject({ code: 'db/unavailable' });
        expect(causeMessages(r.error)).toMatch(/Query read timeout|timeout exceeded when trying to connect|connection timeout/);
      }
    } finally {
      await proxy.stop();
      await proxy.start();
    }
    const back = await ask('What are isolation levels?');
    expect(back.refused).toBe(false);
    expect(crashes.errors).toEqual([]);
  });
});
