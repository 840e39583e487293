/**
 * `node bin/tsx.js bench/soak.ts --minutes 10` (not part of the test suite)
 *
 * Runs `kb serve` as a child process (Slack over HTTP, PostgreSQL, a Redis of its own, a
 * fake OpenAI-compatible model) and drives mixed Slack traffic at it on loopback against
 * the fake Slack Web API: mentions, thread follow-ups, DMs, /ask commands, Slack
 * redeliveries of events already sent, and a user who floods. During the run it kills
 * Redis and brings it back, freezes it (SIGSTOP) and thaws it, and terminates the bot's
 * PostgreSQL backends twice. The tests check that these faults end in an answer or a short
 * message; how long the answers take meanwhile is measured here, not there.
 *
 * Reports requests, answers, refusals, rate-limit notices, error notices, duplicates,
 * unanswered events, latency and the bot's peak RSS, per phase (the steady phase before
 * any fault is the baseline) and in total, as a table and as bench/results/soak.json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { startFakeOpenAI } from '../test/support/fakeOpenAI.ts';
import { startSlackWorkspace } from '../test/support/slackWorkspace.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const SIGNING_SECRET = `soak-${randomBytes(8).toString('hex')}`;
const PLACEHOLDER = 'Searching the knowledge base…';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    rate: { type: 'string', default: '4' },
    extractive: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    'log-level': { type: 'string', default: 'warn' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(`node bin/tsx.js bench/soak.ts [options]
  --minutes <n>      how long to send traffic (default 10; 0.5 for a quick check)
  --rate <n>         events per second (default 4)
  --extractive       no language model (answers quote the sources)
  --log-level <l>    LOG_LEVEL of kb serve; its output goes to bench/results/soak-serve.log (default warn)
  --keep             keep the soak database afterwards`);
  process.exit(0);
}
const durationMs = Number(values.minutes) * 60_000;
const rate = Number(values.rate);
if (!(durationMs > 0) || !(rate > 0)) throw new Error('--minutes and --rate must be positive numbers');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pick = <T>(xs: T[]): T => xs[Math.floor(Math.random() * xs.length)]!;

const QUESTIONS = [
  'How do I create a partial index?',
  'What does VACUUM do?',
  'What is MVCC?',
  'How does connection pooling help?',
  'What are the isolation levels in PostgreSQL?',
  'When should I partition a table?',
  'How do I index a jsonb column?',
  'What is a GIN index good for?',
  'Why is my table bloated?',
  'What does autovacuum do?',
  'Who painted the Mona Lisa?',
  'What is a good lasagna recipe?',
];
const FOLLOW_UPS = ['and what are its downsides?', 'how do I check that?', 'does it lock the table?', 'what about on a replica?'];

// ---------------------------------------------------------------------------- services

async function freePort(from: number, to: number): Promise<number> {
  for (let port = from; port <= to; port++) {
    const free = await new Promise<boolean>((resolve) => {
      const srv = net.createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error(`no free port in ${from}-${to}`);
}

async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.end();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (up) return child;
    await sleep(50);
  }
  throw new Error('redis-server did not start');
}

async function stopChild(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<number | null> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill(signal);
  return exited;
}

async function admin<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
  const c = new pg.Client({ connectionString: ADMIN_URL, application_name: 'kb-soak-admin' });
  await c.connect();
  try {
    return (await c.query<R>(sql, params)).rows;
  } finally {
    await c.end();
  }
}

/** VmRSS and VmHWM (peak) of a process, in MB, from /proc. */
async function memoryOf(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

// ---------------------------------------------------------------------------- set-up

const dbName = `kb_soak_${randomBytes(4).toString('hex')}`;
await admin(`CREATE DATABASE ${dbName}`);
const databaseUrl = `postgres://postgres@127.0.0.1:5432/${dbName}`;
const redisPort = await freePort(6380, 6389);
let redis: ChildProcess | undefined = await startRedis(redisPort);
const slack = await startSlackWorkspace();
const llm = await startFakeOpenAI();
llm.script = (chat) => {
  const isAnswer = chat.messages.some((m) => m.role === 'system');
  // A realistic model: 50-250 ms, one request in 25 fails with a 500 (retried once).
  if (Math.random() < 0.04) return { status: 500, message: 'overloaded' };
  if (!isAnswer) return { text: chat.messages.at(-1)!.content.split('Latest message:').at(-1)!.trim(), delayMs: 50 };
  return { text: 'The knowledge base covers this in the first source [1], with details in [2].', delayMs: 50 + Math.random() * 200 };
};
const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'kb-soak-'));
const resultsDir = path.join(ROOT, 'bench', 'results');
await fs.mkdir(resultsDir, { recursive: true });
const serveLog = await fs.open(path.join(resultsDir, 'soak-serve.log'), 'w');

const env: NodeJS.ProcessEnv = {
  PATH: process.env.PATH ?? '',
  HOME: process.env.HOME ?? '',
  KB_DATA_DIR: dataDir,
  KB_CACHE_DIR: path.join(ROOT, '.kb-data'),
  DATABASE_URL: databaseUrl,
  REDIS_URL: `redis://127.0.0.1:${redisPort}`,
  EMBEDDINGS: 'local',
  SLACK_BOT_TOKEN: 'xoxb-soak-token',
  SLACK_SIGNING_SECRET: SIGNING_SECRET,
  SLACK_API_URL: slack.apiUrl,
  PORT: '0',
  RATE_LIMIT_PER_MINUTE: '30',
  RATE_LIMIT_BURST: '8',
  LOG_LEVEL: values['log-level'],
  ...(values.extractive ? {} : { OPENAI_BASE_URL: llm.baseUrl, LLM_MODEL: 'fake', LLM_TIMEOUT_MS: '3000', LLM_MAX_RETRIES: '1' }),
};
const bot = spawn(process.execPath, [path.join(ROOT, 'bin', 'kb.js'), 'serve'], { cwd: dataDir, env });
// Whatever happens, leave no bot or redis-server behind.
process.on('exit', () => {
  bot.kill('SIGKILL');
  redis?.kill('SIGKILL');
});
const levels = new Map<string, number>();
const errorMessages = new Map<string, number>();
let stdout = '';
bot.stdout.on('data', (d: Buffer) => {
  stdout += d.toString('utf8');
  void serveLog.write(d);
});
let pendingLine = '';
bot.stderr.on('data', (d: Buffer) => {
  void serveLog.write(d);
  const lines = (pendingLine + d.toString('utf8')).split('\n');
  pendingLine = lines.pop() ?? '';
  for (const line of lines) {
    try {
      const entry = JSON.parse(line) as { level: number; msg?: string };
      const level = entry.level >= 50 ? 'error' : entry.level >= 40 ? 'warn' : 'info';
      levels.set(level, (levels.get(level) ?? 0) + 1);
      if (entry.level >= 40) errorMessages.set(entry.msg ?? '?', (errorMessages.get(entry.msg ?? '?') ?? 0) + 1);
    } catch {
      levels.set('other', (levels.get('other') ?? 0) + 1);
    }
  }
});
const startedAt = Date.now();
let port: string | undefined;
while (!(port = /health on :(\d+)\/healthz/.exec(stdout)?.[1])) {
  if (bot.exitCode !== null) throw new Error(`kb serve exited during start-up (${bot.exitCode}); see bench/results/soak-serve.log`);
  if (Date.now() - startedAt > 60_000) throw new Error('kb serve did not start within 60 s');
  await sleep(50);
}
const base = `http://127.0.0.1:${port}`;
console.log(`kb serve (pid ${bot.pid}) on ${base}; database ${dbName}; redis :${redisPort}; ${values.extractive ? 'extractive' : 'fake LLM'}; ${values.minutes} min at ${rate}/s`);

// ---------------------------------------------------------------------------- traffic

type Kind = 'mention' | 'follow-up' | 'dm' | 'command' | 'flood' | 'redelivery';
interface Sent {
  kind: Kind;
  key: string;
  at: number;
  phase: string;
  body: string;
}

const PHASES: Array<{ name: string; from: number }> = [
  { name: 'steady (baseline)', from: 0 },
  { name: 'redis down', from: 0.2 },
  { name: 'redis back', from: 0.32 },
  { name: 'redis frozen', from: 0.44 },
  { name: 'pg backends killed', from: 0.55 },
];
const phaseAt = (t: number) => [...PHASES].reverse().find((p) => (t - trafficStart) / durationMs >= p.from)!.name;

const sent: Sent[] = [];
const expected = new Map<string, number>();
/** A thread the bot has answered (a follow-up there needs no mention), if any yet. */
function answeredRoot(): { channel: string; ts: string } | undefined {
  const roots = slack.fake.messages.filter((m) => m.thread_ts && m.channel.startsWith('C0CH') && JSON.stringify(m.blocks ?? []).includes('kb_answer_'));
  const m = roots.length ? pick(roots.slice(-50)) : undefined;
  return m ? { channel: m.channel, ts: m.thread_ts! } : undefined;
}
let httpErrors = 0;
let requests = 0;
let seq = 0;
const faults: Array<{ atS: number; what: string }> = [];

function sign(body: string, ts: number): string {
  return `v0=${createHmac('sha256', SIGNING_SECRET).update(`v0:${ts}:${body}`).digest('hex')}`;
}

async function post(body: string, contentType: string, headers: Record<string, string> = {}): Promise<void> {
  requests++;
  const ts = Math.floor(Date.now() / 1000);
  try {
    const res = await fetch(`${base}/slack/events`, { method: 'POST', headers: { 'content-type': contentType, 'x-slack-request-timestamp': String(ts), 'x-slack-signature': sign(body, ts), ...headers }, body });
    await res.arrayBuffer();
    if (res.status !== 200) httpErrors++;
  } catch {
    httpErrors++;
  }
}

function eventBody(event: Record<string, unknown>, eventId: string): string {
  return JSON.stringify({ token: 'legacy', team_id: 'T0TEAM', api_app_id: 'A0APP', type: 'event_callback', event_id: eventId, event_time: Math.floor(Date.now() / 1000), event });
}

async function sendEvent(kind: Kind, key: string, event: Record<string, unknown>): Promise<void> {
  const body = eventBody(event, `EvSoak${++seq}`);
  expected.set(key, (expected.get(key) ?? 0) + 1);
  const now = Date.now();
  sent.push({ kind, key, at: now, phase: phaseAt(now), body });
  await post(body, 'application/json');
}

function newTs(): string {
  return `${Math.floor(Date.now() / 1000)}.${String(++seq).padStart(6, '0')}`;
}

async function oneRequest(): Promise<void> {
  const user = `U${String(Math.floor(Math.random() * 20)).padStart(3, '0')}`;
  const r = Math.random();
  const root = r >= 0.5 && r < 0.7 ? answeredRoot() : undefined;
  if (r < 0.5 || (r < 0.7 && !root)) {
    const ts = newTs();
    const channel = `C0CH${Math.floor(Math.random() * 5)}`;
    await sendEvent('mention', `${channel}:${ts}`, { type: 'app_mention', user, channel, ts, event_ts: ts, text: `<@U0BOT> ${pick(QUESTIONS)}` });
  } else if (root) {
    const ts = newTs();
    await sendEvent('follow-up', `${root.channel}:${root.ts}`, { type: 'message', channel_type: 'channel', user, channel: root.channel, ts, event_ts: ts, thread_ts: root.ts, text: pick(FOLLOW_UPS) });
  } else if (r < 0.8) {
    const ts = newTs();
    await sendEvent('dm', `D0${user}:`, { type: 'message', channel_type: 'im', user, channel: `D0${user}`, ts, event_ts: ts, text: pick(QUESTIONS) });
  } else if (r < 0.9) {
    const channel = `C0CMD${++seq}`;
    const key = `${channel}:`;
    expected.set(key, 1);
    const form = new URLSearchParams({ token: 'legacy', team_id: 'T0TEAM', team_domain: 'soak', channel_id: channel, channel_name: 'soak', user_id: user, user_name: user, command: '/ask', text: pick(QUESTIONS), api_app_id: 'A0APP', response_url: slack.fake.responseUrl(`cmd${seq}`), trigger_id: `trig.${seq}` }).toString();
    const now = Date.now();
    sent.push({ kind: 'command', key, at: now, phase: phaseAt(now), body: form });
    await post(form, 'application/x-www-form-urlencoded');
  } else {
    // Slack redelivers an event it thinks timed out: same event_id, retry headers.
    const earlier = sent.filter((s) => s.kind === 'mention' || s.kind === 'dm');
    if (!earlier.length) return;
    const again = pick(earlier.slice(-20));
    const now = Date.now();
    sent.push({ kind: 'redelivery', key: again.key, at: now, phase: phaseAt(now), body: again.body });
    await post(again.body, 'application/json', { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' });
  }
}

async function flood(): Promise<void> {
  await Promise.all(
    Array.from({ length: 15 }, () => {
      const ts = newTs();
      return sendEvent('flood', `C0FLOOD:${ts}`, { type: 'app_mention', user: 'U0FLOOD', channel: 'C0FLOOD', ts, event_ts: ts, text: `<@U0BOT> ${pick(QUESTIONS)}` });
    }),
  );
}

// Which answers have landed: stamp every chat.update and response_url post with its time.
const landedAt = new Map<string, number>();
let seenCalls = 0;
let seenResponses = 0;
let peakRss = 0;
const rssSamples: number[] = [];
const watcher = setInterval(() => {
  const calls = slack.fake.calls;
  for (; seenCalls < calls.length; seenCalls++) {
    const c = calls[seenCalls]!;
    if (c.method === 'chat.update' && c.status === 200) landedAt.set(`${c.args.channel}:${c.args.ts}`, Date.now());
  }
  for (; seenResponses < slack.fake.responses.length; seenResponses++) landedAt.set(`response:${slack.fake.responses[seenResponses]!.id}`, Date.now());
}, 20);
const sampler = setInterval(() => {
  void memoryOf(bot.pid!).then((m) => {
    rssSamples.push(m.rss);
    peakRss = Math.max(peakRss, m.peak);
  });
}, 1000);

const trafficStart = Date.now();
const schedule: Array<{ at: number; what: string; run: () => Promise<void> }> = [
  { at: 0.2, what: 'redis killed (SIGKILL)', run: async () => void (await stopChild(redis, 'SIGKILL')) },
  { at: 0.32, what: 'redis restarted', run: async () => void (redis = await startRedis(redisPort)) },
  // Connections stay open and nothing answers: every Redis call waits out REDIS_COMMAND_TIMEOUT_MS.
  { at: 0.44, what: 'redis frozen (SIGSTOP)', run: async () => void redis?.kill('SIGSTOP') },
  { at: 0.55, what: 'redis thawed (SIGCONT)', run: async () => void redis?.kill('SIGCONT') },
  { at: 0.55, what: 'pg_terminate_backend on every kb-bot backend', run: killBackends },
  { at: 0.75, what: 'pg_terminate_backend on every kb-bot backend', run: killBackends },
];
async function killBackends(): Promise<void> {
  const rows = await admin<{ n: string }>("SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'kb-bot'", [dbName]);
  faults.at(-1)!.what += ` (${rows[0]?.n ?? 0} terminated)`;
}

const inFlight = new Set<Promise<void>>();
const track = (p: Promise<void>) => {
  inFlight.add(p);
  void p.finally(() => inFlight.delete(p));
};
let nextFlood = trafficStart + 5000;
let lastReport = trafficStart;
while (Date.now() - trafficStart < durationMs) {
  const elapsed = (Date.now() - trafficStart) / durationMs;
  while (schedule.length && elapsed >= schedule[0]!.at) {
    const f = schedule.shift()!;
    faults.push({ atS: Math.round((Date.now() - trafficStart) / 100) / 10, what: f.what });
    await f.run();
    console.log(`  ${faults.at(-1)!.atS}s: ${faults.at(-1)!.what}`);
  }
  if (Date.now() >= nextFlood) {
    track(flood());
    nextFlood += 20_000;
  }
  if (Math.random() < 0.02) slack.fake.rateLimitOnce(pick(['chat.postMessage', 'chat.update']), 1);
  track(oneRequest());
  if (Date.now() - lastReport > 30_000) {
    lastReport = Date.now();
    console.log(`  ${Math.round((lastReport - trafficStart) / 1000)}s: ${requests} requests, ${landedAt.size} answers landed, rss ${rssSamples.at(-1)?.toFixed(0)} MB`);
  }
  await sleep(1000 / rate);
}
await Promise.all(inFlight);

// Let the last answers land (the LLM may be retrying), then stop the bot as SIGTERM would.
const settleDeadline = Date.now() + 30_000;
const pendingCount = () => slack.fake.messages.filter((m) => m.text === PLACEHOLDER).length;
while (pendingCount() > 0 && Date.now() < settleDeadline) await sleep(100);
const finalMemory = await memoryOf(bot.pid!);
peakRss = Math.max(peakRss, finalMemory.peak);
clearInterval(sampler);
clearInterval(watcher);
const stopStart = Date.now();
const exitCode = await stopChild(bot, 'SIGTERM');
const shutdownMs = Date.now() - stopStart;
const leftConnections = Number((await admin<{ n: string }>("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'kb-bot'", [dbName]))[0]?.n ?? 0);

// ---------------------------------------------------------------------------- results

type Outcome = 'answer' | 'refusal' | 'rate limited' | 'error notice' | 'unanswered';
function outcomeOf(m: { text?: string; blocks?: unknown[] }): Outcome {
  const blocks = JSON.stringify(m.blocks ?? []);
  if (m.text === PLACEHOLDER) return 'unanswered';
  if (blocks.includes('kb_answer_')) return /I don't know/.test(m.text ?? '') ? 'refusal' : 'answer';
  if (/asking quickly/.test(m.text ?? '')) return 'rate limited';
  return 'error notice';
}

// Bot messages per conversation key; commands may also have answered through response_url.
const byKey = new Map<string, typeof slack.fake.messages>();
for (const m of slack.fake.messages) {
  const key = `${m.channel}:${m.thread_ts ?? ''}`;
  byKey.set(key, [...(byKey.get(key) ?? []), m]);
}
const totals: Record<Outcome, number> = { answer: 0, refusal: 0, 'rate limited': 0, 'error notice': 0, unanswered: 0 };
let duplicates = 0;
const duplicateDetail: Array<{ key: string; expected: number; posted: number; deliveries: string[] }> = [];
for (const [key, n] of expected) {
  const posted = byKey.get(key) ?? [];
  duplicates += Math.max(0, posted.length - n);
  if (posted.length > n) duplicateDetail.push({ key, expected: n, posted: posted.length, deliveries: sent.filter((s) => s.key === key).map((s) => `${s.kind}@${s.phase}`) });
  for (const m of posted.slice(0, n)) totals[outcomeOf(m)]++;
  totals.unanswered += Math.max(0, n - posted.length);
}

interface PhaseStats {
  events: number;
  answers: number;
  refusals: number;
  rateLimited: number;
  errors: number;
  unanswered: number;
  duplicates: number;
  latencies: number[];
}
const phases = new Map<string, PhaseStats>(PHASES.map((p) => [p.name, { events: 0, answers: 0, refusals: 0, rateLimited: 0, errors: 0, unanswered: 0, duplicates: 0, latencies: [] }]));
// Per phase, from mentions (one key, one answer each): outcome and time to the answer.
for (const s of sent) {
  if (s.kind !== 'mention' && s.kind !== 'flood') continue;
  const p = phases.get(s.phase)!;
  p.events++;
  const posted = byKey.get(s.key) ?? [];
  if (s.kind === 'mention' || s.kind === 'flood') p.duplicates += Math.max(0, posted.length - (expected.get(s.key) ?? 1));
  const first = posted[0];
  const outcome = first ? outcomeOf(first) : 'unanswered';
  if (outcome === 'answer') p.answers++;
  else if (outcome === 'refusal') p.refusals++;
  else if (outcome === 'rate limited') p.rateLimited++;
  else if (outcome === 'error notice') p.errors++;
  else p.unanswered++;
  const landed = first ? landedAt.get(`${first.channel}:${first.ts}`) : undefined;
  if (landed && (outcome === 'answer' || outcome === 'refusal')) p.latencies.push(landed - s.at);
}
const quantile = (xs: number[], q: number) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const kinds = sent.reduce<Record<string, number>>((acc, s) => ({ ...acc, [s.kind]: (acc[s.kind] ?? 0) + 1 }), {});
const allLatencies = [...phases.values()].flatMap((p) => p.latencies);
const baselineP95 = quantile(phases.get(PHASES[0]!.name)!.latencies, 0.95);

function table(title: string, columns: string[], rows: string[][]): string {
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  return [`### ${title}`, '', line(columns), `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|')}|`, ...rows.map(line)].join('\n');
}
const ms = (x: number) => (Number.isNaN(x) ? '–' : `${Math.round(x)}`);
const phaseRows = [...phases.entries()].map(([name, p]) => {
  const p95 = quantile(p.latencies, 0.95);
  return [name, String(p.events), String(p.answers), String(p.refusals), String(p.rateLimited), String(p.errors), String(p.unanswered), String(p.duplicates), ms(quantile(p.latencies, 0.5)), ms(p95), Number.isNaN(p95) || Number.isNaN(baselineP95) ? '–' : `${(p95 / baselineP95).toFixed(2)}×`];
});
const summary = {
  minutes: Number(values.minutes),
  ratePerSecond: rate,
  llm: !values.extractive,
  requests,
  httpErrors,
  events: kinds,
  answers: totals.answer,
  refusals: totals.refusal,
  rateLimited: totals['rate limited'],
  errors: totals['error notice'],
  unanswered: totals.unanswered,
  duplicates,
  duplicateDetail,
  responseUrlPosts: slack.fake.responses.length,
  latencyMs: { p50: quantile(allLatencies, 0.5), p95: quantile(allLatencies, 0.95), max: quantile(allLatencies, 1) },
  peakRssMb: Math.round(peakRss),
  rssMb: { first: Math.round(rssSamples[0] ?? 0), last: Math.round(rssSamples.at(-1) ?? 0) },
  faults,
  shutdown: { exitCode, ms: shutdownMs, kbBotConnectionsLeft: leftConnections },
  serveLogLevels: Object.fromEntries(levels),
  serveWarnings: Object.fromEntries([...errorMessages.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15)),
  phases: Object.fromEntries([...phases.entries()].map(([name, p]) => [name, { ...p, latencies: undefined, p50Ms: quantile(p.latencies, 0.5), p95Ms: quantile(p.latencies, 0.95) }])),
};

console.log('');
console.log(
  table('Soak: totals', ['figure', 'value'], [
    ['requests (HTTP POSTs to /slack/events)', String(requests)],
    ['events by kind', Object.entries(kinds).map(([k, v]) => `${k} ${v}`).join(', ')],
    ['answers (with sources)', String(totals.answer)],
    ['refusals ("I don\'t know")', String(totals.refusal)],
    ['rate-limit notices', String(totals['rate limited'])],
    ['error notices', String(totals['error notice'])],
    ['unanswered events', String(totals.unanswered)],
    ['duplicate answers', String(duplicates)],
    ['HTTP errors', String(httpErrors)],
    ['answer latency p50 / p95 / max (ms)', `${ms(summary.latencyMs.p50)} / ${ms(summary.latencyMs.p95)} / ${ms(summary.latencyMs.max)}`],
    ['kb serve peak RSS (MB)', String(summary.peakRssMb)],
    ['kb serve RSS first / last sample (MB)', `${summary.rssMb.first} / ${summary.rssMb.last}`],
    ['shutdown on SIGTERM (ms, exit code)', `${shutdownMs}, ${exitCode}`],
    ['kb-bot connections left after exit', String(leftConnections)],
  ]),
);
console.log('');
console.log(table('Soak: mentions per phase (the steady phase is the baseline)', ['phase', 'events', 'answers', 'refusals', 'rate limited', 'errors', 'unanswered', 'duplicates', 'p50 ms', 'p95 ms', 'p95 vs baseline'], phaseRows));
console.log('');
console.log('faults:', faults.map((f) => `${f.atS}s ${f.what}`).join('; '));
console.log('kb serve warnings/errors:', JSON.stringify(summary.serveWarnings));

await fs.writeFile(path.join(resultsDir, 'soak.json'), JSON.stringify({ at: new Date().toISOString(), node: process.version, cores: os.cpus().length, ...summary }, null, 2) + '\n');
console.log(`\nwrote bench/results/soak.json (kb serve output: bench/results/soak-serve.log)`);

await serveLog.close();
await stopChild(redis, 'SIGTERM');
await slack.close();
await llm.close();
await fs.rm(dataDir, { recursive: true, force: true });
if (!values.keep) await admin(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
