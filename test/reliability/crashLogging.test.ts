import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/reliabilityKit.ts';

/**
 * An unhandled promise rejection or uncaught exception in a `kb` process is logged through
 * pino, with secrets masked like every other line (Node's own report would print the raw
 * message and stack), and the process exits with status 1 instead of running on.
 */
const SECRET = 'xoxb-crash-test-0123456789';

function runCrashingCli(kind: 'rejection' | 'exception'): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'tsx.js'), path.join(ROOT, 'test', 'support', 'crashingCli.ts'), kind, SECRET], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('a crash in a kb process', () => {
  it.each([
    ['rejection', 'unhandled promise rejection; exiting'],
    ['exception', 'uncaught exception; exiting'],
  ] as const)('an unhandled %s is logged as one redacted fatal line, then the process exits with status 1', async (kind, msg) => {
    const r = await runCrashingCli(kind);
    expect(r.code).toBe(1);
    expect(`${r.stdout}${r.stderr}`).not.toContain(SECRET);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!) as { level: number; msg: string; err: { message: string; stack: string } };
    expect(entry).toMatchObject({ level: 60, msg, err: { message: 'the token [redacted] was refused' } });
    expect(entry.err.stack).toContain('crashingCli.ts');
  }, 120_000);
});
