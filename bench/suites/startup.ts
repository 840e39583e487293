import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { benchEnv, repoRoot } from '../lib/benchConfig.ts';
import { dropDatabase, recreateDatabase } from '../lib/databases.ts';
import { MANUAL_DIR } from '../lib/manual.ts';
import { sample, startProcess, stop } from '../lib/processes.ts';
import type { SuiteResult, Table } from '../lib/report.ts';
import { SlackStub } from '../lib/slackStub.ts';
import { fmt, mb, summarize } from '../lib/stats.ts';

/**
 * Start-up of the `kb` command, whole processes as a user runs them: wall time from spawn to
 * exit (or, for `kb serve`, to "listening"), and peak RSS, median of `runs`, next to
 * `node -e 0` from the same run. With `compareWith` (another checkout, e.g. the previous
 * main, with its node_modules installed) the same commands run there too, interleaved run
 * by run so load on the machine falls on both alike.
 */
export interface StartupOptions {
  runs: number;
  compareWith?: string;
  keep: boolean;
}

const QUESTION = 'How do I create a partial index?';
const BASE_URL = 'https://www.postgresql.org/docs/15/';
const SIGNING_SECRET = 'bench-signing-secret-0123456789';
const MB = 1024 * 1024;

interface Target {
  label: string;
  bin: string;
  /** Each checkout gets its own database, set up by its own code: their schemas and file-stat keys may differ. */
  database: string;
  env: Record<string, string>;
}

interface Command {
  name: string;
  args: (t: Target) => string[];
  /** Goal for the median wall time (seconds) and peak RSS (MB). */
  goal?: { seconds: number; rssMb?: number };
  /** Measured to a line on stdout instead of to exit (a server). */
  ready?: RegExp;
  env?: Record<string, string>;
}

interface Run {
  ms: number;
  peakRssBytes: number;
  /** User + system CPU time of the process: what it costs when the machine is shared (wall time also waits for other processes). */
  cpuMs: number;
}

/** Runs one process to exit under GNU time for its peak RSS; the wall time is measured here. */
async function timeToExit(args: string[], env: Record<string, string>, cwd: string): Promise<Run> {
  const rusage = path.join(cwd, `rusage-${process.pid}.txt`);
  const t0 = performance.now();
  const child = spawn('/usr/bin/time', ['-f', '%M %U %S', '-o', rusage, process.execPath, ...args], { cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: os.tmpdir(), ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const ms = performance.now() - t0;
  if (code !== 0) throw new Error(`node ${args.join(' ')} exited with ${code}: ${stderr.slice(0, 500)}`);
  const [kb, user, system] = (await fs.readFile(rusage, 'utf8')).trim().split('\n').pop()!.split(' ').map(Number);
  return { ms, peakRssBytes: kb! * 1024, cpuMs: (user! + system!) * 1000 };
}

/** Starts a server process and measures until its ready line; peak RSS is VmHWM at that moment. */
async function timeToReady(args: string[], env: Record<string, string>, cwd: string, ready: RegExp): Promise<Run> {
  const t0 = performance.now();
  const { child } = await startProcess(args, env, cwd, ready);
  const ms = performance.now() - t0;
  try {
    // utime and stime, fields 14 and 15 of /proc/<pid>/stat, in clock ticks (100 per second on Linux).
    const fields = (await fs.readFile(`/proc/${child.pid}/stat`, 'utf8')).replace(/^.*\) /s, '').split(' ');
    const cpuMs = (Number(fields[11]) + Number(fields[12])) * 10;
    return { ms, peakRssBytes: (await sample(child.pid!, 'ready')).vmHwmBytes, cpuMs };
  } finally {
    await stop(child);
  }
}

function measure(c: Command, t: Target | undefined, cwd: string): Promise<Run> {
  const args = t ? c.args(t) : c.args({ label: 'node', bin: '', database: '', env: {} });
  const fullEnv = { ...t?.env, ...c.env };
  return c.ready ? timeToReady(args, fullEnv, cwd, c.ready) : timeToExit(args, fullEnv, cwd);
}

async function binOf(dir: string): Promise<string> {
  const bin = path.resolve(dir, 'bin', 'kb.js');
  await fs.access(bin);
  return bin;
}

export async function runStartupSuite(o: StartupOptions): Promise<SuiteResult> {
  const cwd = await fs.mkdtemp(path.join(os.tmpdir(), 'kb-bench-startup-'));
  const target = async (label: string, dir: string, database: string): Promise<Target> => ({
    label,
    bin: await binOf(dir),
    database,
    env: benchEnv({ dataDir: path.join(cwd, database), databaseUrl: await recreateDatabase(database) }),
  });
  const targets = [await target('this checkout', repoRoot, 'bench_startup')];
  if (o.compareWith) targets.push(await target(path.resolve(o.compareWith), o.compareWith, 'bench_startup_compared'));
  const slack = await new SlackStub().start();
  const commands: Command[] = [
    { name: 'kb --help', args: (t) => [t.bin, '--help'], goal: { seconds: 0.3, rssMb: 80 } },
    { name: `kb ask "${QUESTION}" (server PostgreSQL, local embeddings)`, args: (t) => [t.bin, 'ask', QUESTION], goal: { seconds: 0.8 } },
    { name: 'kb ingest of the unchanged manual', args: (t) => [t.bin, 'ingest', MANUAL_DIR, '--base-url', BASE_URL], goal: { seconds: 1.0 } },
    {
      name: 'kb serve until Slack HTTP is listening',
      args: (t) => [t.bin, 'serve'],
      goal: { seconds: 1.5 },
      ready: /health on :(\d+)\/healthz/,
      env: { SLACK_BOT_TOKEN: 'xoxb-bench-token', SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: slack.apiUrl, PORT: '0' },
    },
  ];
  const floor: Command = { name: 'node -e 0 (the floor)', args: () => ['-e', '0'] };
  const results = new Map<string, Run[]>();
  const record = (key: string, r: Run) => results.set(key, [...(results.get(key) ?? []), r]);
  try {
    // Setup, not measured: the manual in the database (which also converts the word vectors
    // once, if the shared cache has none), then one unmeasured run of everything, so every
    // measured run finds the OS page cache and the vector cache warm.
    for (const t of targets) {
      const setup = await timeToExit([t.bin, 'ingest', MANUAL_DIR, '--base-url', BASE_URL], t.env, cwd);
      console.log(`setup: ${t.label} ingested the manual into ${t.database} in ${fmt(setup.ms / 1000)} s`);
    }
    for (const t of targets) for (const c of commands) await measure(c, t, cwd);
    for (let i = 0; i < o.runs; i++) {
      record(floor.name, await measure(floor, undefined, cwd));
      for (const c of commands) for (const t of targets) record(`${t.label}\u0000${c.name}`, await measure(c, t, cwd));
    }
  } finally {
    await slack.stop();
    if (!o.keep) for (const t of targets) await dropDatabase(t.database);
    await fs.rm(cwd, { recursive: true, force: true });
  }

  const stats = (runs: Run[]) => ({ wall: summarize(runs.map((r) => r.ms)), rss: summarize(runs.map((r) => r.peakRssBytes)), cpu: summarize(runs.map((r) => r.cpuMs)) });
  const floorStats = stats(results.get(floor.name)!);
  const cell = (runs: Run[] | undefined) => {
    if (!runs) return ['–', '–', '–'];
    const s = stats(runs);
    return [`${fmt(s.wall.p50 / 1000, 2)} s (${fmt(Math.min(...runs.map((r) => r.ms)) / 1000, 2)}–${fmt(s.wall.max / 1000, 2)})`, `${fmt(s.cpu.p50 / 1000, 2)} s`, mb(s.rss.p50)];
  };
  const rows: string[][] = [[floor.name, ...cell(results.get(floor.name)), ...(targets.length > 1 ? ['', '', ''] : []), 'floor']];
  for (const c of commands) {
    const mine = results.get(`${targets[0]!.label}\u0000${c.name}`)!;
    const s = stats(mine);
    const met = c.goal ? s.wall.p50 <= c.goal.seconds * 1000 && (c.goal.rssMb === undefined || s.rss.p50 <= c.goal.rssMb * MB) : true;
    const goal = c.goal ? `≤ ${c.goal.seconds} s${c.goal.rssMb ? `, ≤ ${c.goal.rssMb} MB` : ''}: ${met ? 'met' : 'MISSED'}` : '';
    rows.push([c.name, ...cell(mine), ...(targets.length > 1 ? cell(results.get(`${targets[1]!.label}\u0000${c.name}`)) : []), goal]);
  }
  const table: Table = {
    title: `Start-up: whole processes, median of ${o.runs} runs (min–max)`,
    columns: ['command', 'wall', 'CPU', 'peak RSS', ...(targets.length > 1 ? [`wall, ${targets[1]!.label}`, 'CPU', 'peak RSS'] : []), 'goal (this checkout)'],
    rows,
    notes: [
      `the floor, node -e 0: ${fmt(floorStats.wall.p50 / 1000, 3)} s wall, ${fmt(floorStats.cpu.p50 / 1000, 3)} s CPU, ${mb(floorStats.rss.p50)}`,
      'CPU: user + system time of the process (GNU time %U + %S; kb serve: utime + stime from /proc/<pid>/stat when ready); on a shared machine wall time also includes waiting for a core',
      'wall: spawn to exit (kb serve: spawn to its "health on :PORT" line, printed once Slack’s HTTP receiver listens); peak RSS: GNU time %M (kb serve: VmHWM at ready)',
      `kb ask and kb ingest use a server PostgreSQL database (one per checkout, each set up by its own kb ingest) holding the manual (${MANUAL_DIR}), local embeddings, no Redis; kb serve uses the same database and a local Slack Web API stand-in`,
      'each command ran once unmeasured first (warm OS page cache and word-vector cache)',
    ],
  };
  const data = Object.fromEntries([...results].map(([k, runs]) => [k.replace('\u0000', ': '), runs]));
  return { name: 'startup', tables: [table], data };
}
