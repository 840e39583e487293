import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import readline from 'node:readline';

export interface MemorySample {
  at: string;
  vmRssBytes: number;
  vmHwmBytes: number;
}

/** A process's resident and peak resident memory, from /proc/<pid>/status. */
export async function sample(pid: number, at: string): Promise<MemorySample> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { at, vmRssBytes: kb('VmRSS'), vmHwmBytes: kb('VmHWM') };
}

/** Starts a node process (cwd is a temp dir, so no ./.env is read) and waits for `ready` on stdout. */
export async function startProcess(args: string[], env: Record<string, string>, cwd: string, ready: RegExp): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(process.execPath, args, { cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: os.tmpdir(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const errors: string[] = [];
  child.stderr!.on('data', (d: Buffer) => errors.push(d.toString()));
  const lines = readline.createInterface({ input: child.stdout! });
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out starting ${args.join(' ')}: ${errors.join('').slice(0, 500)}`)), 120_000);
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited (${code}): ${errors.join('').slice(0, 500)}`)));
    lines.on('line', (l) => {
      const m = ready.exec(l);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    });
  });
  return { child, match };
}

/** SIGTERM, then SIGKILL after 20 s; resolves once the process has exited. */
export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
