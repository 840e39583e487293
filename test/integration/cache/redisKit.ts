import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { createLogger, type Logger } from '../../../src/logger.ts';

export const REDIS_URL = 'redis://127.0.0.1:6379';

/** A key prefix no other test file (or run) shares. */
export function testPrefix(): string {
  return `kbtest:${randomUUID()}:`;
}

/** Removes every key under `prefix`, using a client of its own. */
export async function deletePrefix(prefix: string, url = REDIS_URL): Promise<void> {
  const raw = new Redis(url);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await raw.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length) await raw.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    raw.disconnect();
  }
}

export interface LogLine {
  level: number;
  msg: string;
  [k: string]: unknown;
}

/** The project's logger writing into an array, so tests can count warnings. */
export function captureLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = createLogger({ level: 'debug', destination: { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) } });
  return { logger, lines };
}

export const WARN = 40;

/** Starts a throwaway redis-server (no persistence) and waits until it answers PING. */
export async function startRedisServer(port: number, extraArgs: string[] = []): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...extraArgs], { stdio: 'ignore' });
  const probe = new Redis({ port, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  probe.on('error', () => {}); // refusals are expected until the server listens
  try {
    for (let i = 0; i < 100; i++) {
      if (child.exitCode !== null) throw new Error(`redis-server on port ${port} exited with ${child.exitCode}`);
      try {
        await probe.connect();
        if ((await probe.ping()) === 'PONG') {
          // The server answering must be this one: another test's redis-server on the port would
          // make this one exit at bind, and the tests would then stop a server nobody uses.
          const pid = /process_id:(\d+)/.exec(await probe.info('server'))?.[1];
          if (Number(pid) !== child.pid) throw new Error(`port ${port} is taken by another redis-server (pid ${pid})`);
          return child;
        }
      } catch {
        probe.disconnect();
        await sleep(50);
      }
    }
    throw new Error(`redis-server on port ${port} did not start`);
  } finally {
    probe.disconnect();
  }
}

export async function killServer(child: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  await exited;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The first port in [from, to] nothing listens on (test files use disjoint ranges). */
export async function freePort(from: number, to: number): Promise<number> {
  const { createServer } = await import('node:net');
  for (let port = from; port <= to; port++) {
    const free = await new Promise<boolean>((resolve) => {
      const srv = createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error(`no free port in ${from}-${to}`);
}
