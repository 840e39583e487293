import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createApp, type App } from '../../src/app.ts';
import { AnswerCache } from '../../src/cache/answerCache.ts';
import { benchConfig } from '../lib/benchConfig.ts';
import { dropDatabase, recreateDatabase, silentLogger } from '../lib/databases.ts';
import { MANUAL_DIR } from '../lib/manual.ts';
import { clearRedisKeys, REDIS_URL } from '../lib/redisKeys.ts';
import { inDomainQuestions } from '../lib/questions.ts';
import type { SuiteResult, Table } from '../lib/report.ts';
import { fmt, ratio, summarize, type LatencySummary } from '../lib/stats.ts';

const UNCACHED_PASSES = 3;
const HIT_PASSES = 5;
const RECORDING_PASSES = 4;
const HITS_PER_MISS = 3;

interface BackendFigures {
  backend: string;
  uncached: LatencySummary;
  hit: LatencySummary;
  refusedExcluded: number;
}

/** Deletes the answers just produced through the cache's own invalidation path (untimed). */
async function forget(app: App, citations: Array<{ collection: string; source: string }>): Promise<void> {
  await new AnswerCache(app.kv).invalidateDocuments(citations.map((c) => ({ collection: c.collection, source: c.source })));
}

async function measure(app: App, backend: string, questions: string[]): Promise<BackendFigures> {
  const ask = (q: string, i: number) => app.assistant.answer({ question: q, user: `bench:${i % 7}` });
  // Warm-up: one uncached pass, then forget it.
  for (const [i, q] of questions.entries()) await forget(app, (await ask(q, i)).citations);
  const uncached: number[] = [];
  let refused = 0;
  for (let pass = 0; pass < UNCACHED_PASSES; pass++) {
    for (const [i, q] of questions.entries()) {
      const t0 = performance.now();
      const a = await ask(q, i);
      const ms = performance.now() - t0;
      // A refusal cites nothing, so it cannot be invalidated by document; later passes hit it.
      if (a.cached) refused++;
      else uncached.push(ms);
      await forget(app, a.citations);
    }
  }
  for (const [i, q] of questions.entries()) await ask(q, i);
  const hits: number[] = [];
  for (let pass = 0; pass < HIT_PASSES; pass++) {
    for (const [i, q] of questions.entries()) {
      const t0 = performance.now();
      const a = await ask(q, i);
      hits.push(performance.now() - t0);
      if (!a.cached) throw new Error(`expected a cache hit for "${q}" (${backend})`);
    }
  }
  return { backend, uncached: summarize(uncached), hit: summarize(hits), refusedExcluded: refused };
}

type RecordingArm = 'off' | 'on' | 'off (control)';
const ARMS: RecordingArm[] = ['off', 'on', 'off (control)'];
type Samples = { uncached: LatencySummary; hit: LatencySummary };

interface RecordingFigures {
  arms: Record<RecordingArm, Samples>;
  recorded: number;
}

/**
 * The same questions through three apps on one database: one recording interactions, two not
 * (INTERACTIONS_RECORDING=off; the second is a control whose distance from the first shows the
 * noise). They take turns question by question, the order rotated every pass, so drift in the
 * machine's load falls on all alike. Each question: one uncached answer, then HITS_PER_MISS hits.
 */
async function measureRecording(apps: Record<RecordingArm, App>, questions: string[]): Promise<RecordingFigures> {
  const samples = Object.fromEntries(ARMS.map((a) => [a, { uncached: [] as number[], hit: [] as number[] }])) as Record<RecordingArm, { uncached: number[]; hit: number[] }>;
  const ask = async (app: App, q: string, i: number) => {
    const t0 = performance.now();
    const a = await app.assistant.answer({ question: q, user: `slack:bench${i % 7}` });
    return { a, ms: performance.now() - t0 };
  };
  for (const [i, q] of questions.entries()) for (const arm of ARMS) await forget(apps[arm], (await ask(apps[arm], q, i)).a.citations);
  for (let pass = 0; pass < RECORDING_PASSES; pass++) {
    const order = ARMS.map((_, k) => ARMS[(k + pass) % ARMS.length]!);
    for (const [i, q] of questions.entries()) {
      for (const arm of order) {
        const miss = await ask(apps[arm], q, i);
        if (!miss.a.cached) samples[arm].uncached.push(miss.ms);
        for (let h = 0; h < HITS_PER_MISS; h++) {
          const hit = await ask(apps[arm], q, i);
          if (hit.a.cached) samples[arm].hit.push(hit.ms);
        }
        await forget(apps[arm], miss.a.citations);
      }
    }
  }
  await apps.on.recorder?.flush();
  const recorded = Number((await apps.on.db.query<{ n: string }>('SELECT count(*) AS n FROM interactions')).rows[0]?.n ?? 0);
  const arms = Object.fromEntries(ARMS.map((a) => [a, { uncached: summarize(samples[a].uncached), hit: summarize(samples[a].hit) }])) as Record<RecordingArm, Samples>;
  return { arms, recorded };
}

const pctOver = (on: number, off: number) => `${on >= off ? '+' : ''}${(((on - off) / off) * 100).toFixed(1)}%`;

export async function runAnswerSuite(o: { keep: boolean }): Promise<SuiteResult> {
  const questions = await inDomainQuestions();
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'kb-bench-answer-'));
  const url = await recreateDatabase('bench_answer');
  const figures: BackendFigures[] = [];
  let recording: RecordingFigures | undefined;
  try {
    await clearRedisKeys(REDIS_URL);
    const first = await createApp(benchConfig({ dataDir: tmp, databaseUrl: url }), silentLogger);
    try {
      const s = await first.ingest({ inputs: [MANUAL_DIR], collection: 'default' });
      if (!s.chunks) throw new Error('the manual produced no chunks');
      figures.push(await measure(first, 'embedded (in-process LRU)', questions));
    } finally {
      await first.close();
    }
    const redisApp = await createApp(benchConfig({ dataDir: tmp, databaseUrl: url, redisUrl: REDIS_URL }), silentLogger);
    try {
      if (redisApp.kv.kind !== 'redis') throw new Error(`expected the Redis store, got ${redisApp.kv.kind}`);
      figures.push(await measure(redisApp, `Redis (${REDIS_URL})`, questions));
    } finally {
      await redisApp.close();
    }
    const apps = {} as Record<RecordingArm, App>;
    try {
      for (const arm of ARMS) apps[arm] = await createApp(benchConfig({ dataDir: tmp, databaseUrl: url, extra: { INTERACTIONS_RECORDING: arm === 'on' ? 'on' : 'off' } }), silentLogger);
      if (!apps.on.recorder || apps.off.recorder || apps['off (control)'].recorder) throw new Error('expected one app recording and two not');
      recording = await measureRecording(apps, questions);
    } finally {
      await Promise.all(Object.values(apps).map((a) => a.close()));
    }
  } finally {
    await clearRedisKeys(REDIS_URL).catch(() => 0);
    await fs.rm(tmp, { recursive: true, force: true });
    if (!o.keep) await dropDatabase('bench_answer');
  }
  const table: Table = {
    title: `assistant.answer() on the manual (server PostgreSQL, extractive answers), ${questions.length} dev questions cycled`,
    columns: ['cache backend', 'path', 'n', 'p50 ms', 'p95 ms', 'p99 ms', 'p50 vs uncached'],
    rows: figures.flatMap((f) => [
      [f.backend, 'uncached (retrieve + extractive compose)', String(f.uncached.n), fmt(f.uncached.p50), fmt(f.uncached.p95), fmt(f.uncached.p99), 'baseline'],
      [f.backend, 'answer-cache hit', String(f.hit.n), fmt(f.hit.p50), fmt(f.hit.p95), fmt(f.hit.p99), `${ratio(f.uncached.p50, f.hit.p50)} faster`],
    ]),
    notes: [
      'a hit still runs the rate limiter and checks every cited document\'s content hash in PostgreSQL (AnswerCache.get), so it costs one SQL round trip',
      `uncached samples: ${UNCACHED_PASSES} passes, each answer dropped afterwards through AnswerCache.invalidateDocuments; refusals (no citations) are cached and so excluded (${figures.map((f) => f.refusedExcluded).join(' / ')})`,
      `Redis ratio vs embedded hit p50: ${figures[1] ? ratio(figures[1].hit.p50, figures[0]!.hit.p50) : '–'}`,
    ],
  };
  const r = recording!;
  const recordingTable: Table = {
    title: `interaction recording on vs off (goal: p50 within 5%), embedded cache, server PostgreSQL, ${questions.length} questions x ${RECORDING_PASSES} passes (${HITS_PER_MISS} hits after each miss), three apps taking turns`,
    columns: ['path', 'recording', 'n', 'p50 ms', 'p95 ms', 'p50 vs off'],
    rows: (['uncached', 'hit'] as const).flatMap((path) =>
      ARMS.map((arm) => [path === 'hit' ? 'answer-cache hit' : 'uncached', arm, String(r.arms[arm][path].n), fmt(r.arms[arm][path].p50), fmt(r.arms[arm][path].p95), arm === 'off' ? 'baseline' : pctOver(r.arms[arm][path].p50, r.arms.off[path].p50)]),
    ),
    notes: [`rows written by the recording app: ${r.recorded} (every question of the warm-up and the passes)`, 'off (control) records nothing either: its distance from off is the noise of the run', 'recording appends to a buffer; one INSERT a second writes it, on the same connection pool'],
  };
  return { name: 'answer', tables: [table, recordingTable], data: { figures, recording: r, redisUrl: REDIS_URL } };
}
