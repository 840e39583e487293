import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { benchEnv, repoRoot } from '../lib/benchConfig.ts';
import { dropDatabase, recreateDatabase } from '../lib/databases.ts';
import { inDomainQuestions } from '../lib/questions.ts';
import type { SuiteResult, Table } from '../lib/report.ts';
import { clearRedisKeys, REDIS_URL } from '../lib/redisKeys.ts';
import { SlackStub, signedCommand } from '../lib/slackStub.ts';
import { mb, ratio } from '../lib/stats.ts';
import { sample, startProcess, stop, type MemorySample } from '../lib/processes.ts';

const SIGNING_SECRET = 'bench-signing-secret-0123456789';

/** Runs `kb serve` against a Slack stub, asks questions through signed /ask commands, samples /proc. */
async function measureServe(label: string, env: Record<string, string>, questions: string[]): Promise<{ label: string; samples: MemorySample[] }> {
  const slack = await new SlackStub().start();
  const cwd = await fs.mkdtemp(path.join(os.tmpdir(), 'kb-bench-serve-'));
  const fullEnv = { ...env, SLACK_BOT_TOKEN: 'xoxb-bench-token', SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: slack.apiUrl, PORT: '0', LOG_LEVEL: 'warn' };
  const { child, match } = await startProcess([path.join(repoRoot, 'bin', 'kb.js'), 'serve'], fullEnv, cwd, /health on :(\d+)\/healthz/);
  const base = `http://127.0.0.1:${match[1]}`;
  const samples: MemorySample[] = [];
  try {
    samples.push(await sample(child.pid!, 'up (healthz answering)'));
    let asked = 0;
    const ask = async (question: string) => {
      const expected = slack.count('chat.update') + 1;
      const { body, headers } = signedCommand(SIGNING_SECRET, {
        token: 'legacy', team_id: 'T0BENCH', team_domain: 'bench', channel_id: 'C0BENCH', channel_name: 'bench', user_id: `U0ASK${asked % 3}`, user_name: 'asker',
        command: '/ask', text: question, api_app_id: 'A0BENCH', response_url: slack.responseUrl(String(asked)), trigger_id: `trig.${asked++}.${Date.now()}`,
      });
      const res = await fetch(`${base}/slack/events`, { method: 'POST', headers, body });
      if (res.status !== 200) throw new Error(`/ask returned ${res.status}: ${await res.text()}`);
      const deadline = Date.now() + 30_000;
      while (slack.count('chat.update') < expected) {
        if (Date.now() > deadline) throw new Error(`no answer delivered for "${question}"`);
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    for (const q of questions.slice(0, 5)) await ask(q);
    samples.push(await sample(child.pid!, 'after 5 questions'));
    for (const q of questions) await ask(q);
    samples.push(await sample(child.pid!, `after ${5 + questions.length} questions`));
  } finally {
    await stop(child);
    await slack.stop();
    await fs.rm(cwd, { recursive: true, force: true });
  }
  return { label, samples };
}

/** Runs memoryComponents.ts in a fresh process and collects its JSON lines. */
async function components(dataDir: string, sharedBuffers?: string): Promise<Array<{ step: string; vmRssBytes: number; vmHwmBytes: number }>> {
  const args = [path.join(repoRoot, 'bin', 'tsx.js'), path.join(repoRoot, 'bench', 'lib', 'memoryComponents.ts'), dataDir, ...(sharedBuffers ? [sharedBuffers] : [])];
  const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
  const out: Array<{ step: string; vmRssBytes: number; vmHwmBytes: number }> = [];
  for await (const line of readline.createInterface({ input: child.stdout! })) out.push(JSON.parse(line));
  return out;
}

async function componentRuns(tmp: string): Promise<Table> {
  const rows: string[][] = [];
  for (const sb of [undefined, '16MB']) {
    const dir = path.join(tmp, `components-${sb ?? 'default'}`);
    for (const when of ['fresh data dir (initdb)', 'existing data dir']) {
      for (const s of await components(dir, sb)) rows.push([when, s.step, mb(s.vmRssBytes), mb(s.vmHwmBytes)]);
    }
  }
  return {
    title: 'What the RSS is made of: the parts of `kb serve` loaded one by one in a fresh process',
    columns: ['PGlite data dir', 'after', 'VmRSS', 'VmHWM'],
    rows,
    notes: ['the rows with shared_buffers pass it as PGlite startParams; PgliteDatabase opens PGlite with -c shared_buffers=16MB (PGlite’s own default is 128MB)'],
  };
}

export async function runMemorySuite(): Promise<SuiteResult> {
  const questions = await inDomainQuestions();
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'kb-bench-memory-'));
  const runs: Array<{ label: string; samples: MemorySample[] }> = [];
  let breakdown: Table;
  try {
    // Baseline: node with the tsx loader and nothing else, started the same way.
    const idleCwd = await fs.mkdtemp(path.join(os.tmpdir(), 'kb-bench-idle-'));
    const idle = await startProcess([path.join(repoRoot, 'bin', 'tsx.js'), path.join(repoRoot, 'bench', 'lib', 'idleProcess.ts')], {}, idleCwd, /^idle$/);
    runs.push({ label: 'baseline: node + tsx loader, idle', samples: [await sample(idle.child.pid!, 'up')] });
    await stop(idle.child);
    await fs.rm(idleCwd, { recursive: true, force: true });

    // First start creates the PGlite cluster (initdb) and ingests the sample notes; a restart reopens it.
    const pgliteEnv = benchEnv({ dataDir: path.join(dataDir, 'pglite') });
    runs.push(await measureServe('kb serve, embedded PGlite (the default), first start', pgliteEnv, questions));
    runs.push(await measureServe('kb serve, embedded PGlite, restart on the same data dir', pgliteEnv, questions));
    breakdown = await componentRuns(dataDir);
    const url = await recreateDatabase('bench_memory');
    try {
      runs.push(await measureServe('kb serve, server PostgreSQL + Redis', benchEnv({ dataDir: path.join(dataDir, 'server'), databaseUrl: url, redisUrl: REDIS_URL }), questions));
    } finally {
      await clearRedisKeys().catch(() => 0);
      await dropDatabase('bench_memory');
    }
  } finally {
    await fs.rm(dataDir, { recursive: true, force: true });
  }
  const baseline = runs[0]!.samples[0]!.vmHwmBytes;
  const table: Table = {
    title: 'Memory of `kb serve` (Slack over HTTP against a local Web API stub; /proc/<pid>/status)',
    columns: ['process', 'when', 'VmRSS', 'VmHWM (peak RSS)', 'peak vs idle node'],
    rows: runs.flatMap((r) => r.samples.map((s) => [r.label, s.at, mb(s.vmRssBytes), mb(s.vmHwmBytes), r === runs[0] ? 'baseline' : ratio(s.vmHwmBytes, baseline)])),
    notes: ['goal: kb serve peak RSS ≤ 400 MB', 'questions arrive as signed /ask slash commands; each is awaited until its answer replaces the placeholder (chat.update)'],
  };
  const serve = runs.slice(1).map((r) => ({ label: r.label, peak: Math.max(...r.samples.map((s) => s.vmHwmBytes)) }));
  const goals: Table = {
    title: 'Memory goal',
    columns: ['process', 'peak RSS', 'goal ≤ 400 MB'],
    rows: serve.map((s) => [s.label, mb(s.peak), s.peak <= 400 * 1024 * 1024 ? 'met' : 'MISSED']),
  };
  return { name: 'memory', tables: [table, breakdown, goals], data: { runs, breakdown: breakdown.rows } };
}
